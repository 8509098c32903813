"""The C++ programs: ONNX Runtime's C++ API for an .onnx, OpenVINO's for an IR; CMake builds both. An encrypted
model is decrypted with OpenSSL's EVP AES-256-GCM into memory. Written by hand (no generator exists)."""

from __future__ import annotations

BUILD = ("cmake -S . -B build [-DONNXRUNTIME_ROOT=DIR | -DOpenVINO_DIR=DIR] && cmake --build build && "
         "./build/run_model [MODEL]")
CTYPES = {"float32": "float", "int64": "int64_t", "int32": "int32_t", "bool": "bool"}
OV_TYPES = {"float32": "f32", "int64": "i64", "int32": "i32", "bool": "boolean"}

COMMON = r'''#include <cctype>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <iostream>
#include <iterator>
#include <string>
#include <vector>
@INCLUDES@

static const char* MODEL = "@MODEL@";
static const std::vector<size_t> SIZES = {@SIZES@};  // members of an encrypted model

static std::vector<unsigned char> read_file(const std::string& path) {
    std::ifstream in(path, std::ios::binary);
    if (!in) { std::cerr << "cannot read " << path << "\n"; std::exit(1); }
    return std::vector<unsigned char>(std::istreambuf_iterator<char>(in), {});
}
@DECRYPT@
template <typename T> static std::vector<T> fill(size_t n, int j) {
    std::vector<T> v(n);
    for (size_t i = 0; i < n; ++i) v[i] = static_cast<T>((i + j) % 5);
    return v;
}
template <> std::vector<float> fill<float>(size_t n, int j) {
    std::vector<float> v(n);
    for (size_t i = 0; i < n; ++i) v[i] = static_cast<float>(((i * 7 + j * 3) % 23) / 10.0 - 1.1);
    return v;
}
static std::unique_ptr<bool[]> fill_bool(size_t n) {
    std::unique_ptr<bool[]> v(new bool[n]);
    for (size_t i = 0; i < n; ++i) v[i] = i % 2 == 0;
    return v;
}

template <typename T> static void show(const std::string& name, const std::vector<int64_t>& shape, const T* p,
                                       size_t n) {
    double sum = 0;
    for (size_t i = 0; i < n; ++i) sum += static_cast<double>(p[i]);
    std::string dims;
    for (size_t k = 0; k < shape.size(); ++k) dims += (k ? "x" : "") + std::to_string(shape[k]);
    std::printf("OUTPUT %s shape=%s sum=%.9g first=", name.c_str(), dims.c_str(), sum);
    for (size_t i = 0; i < n && i < 8; ++i) std::printf(i ? ",%.9g" : "%.9g", static_cast<double>(p[i]));
    std::printf("\n");
}
'''

DECRYPT = r'''
// `workbench encrypt`'s container: "WBENC001", u32 header length, header (the AES-GCM associated data), 12-byte
// nonce, ciphertext, 16-byte tag. Decrypted into memory only.
static std::vector<std::vector<unsigned char>> decrypt_model(const std::string& path) {
    std::vector<unsigned char> blob = read_file(path);
    if (blob.size() < 12 || std::memcmp(blob.data(), "WBENC001", 8) != 0) {
        std::cerr << path << " is not a workbench encrypted model\n"; std::exit(1);
    }
    uint32_t hl = blob[8] | (blob[9] << 8) | (blob[10] << 16) | (uint32_t(blob[11]) << 24);
    size_t aad = 12 + hl, body = aad + 12, n = blob.size() - body - 16;
    std::string hex;
    unsigned char key[32];
    bool raw_key = false;
    if (const char* f = std::getenv("WORKBENCH_MODEL_KEY_FILE")) {
        std::vector<unsigned char> raw = read_file(f);
        raw_key = raw.size() == 32;
        if (raw_key) std::memcpy(key, raw.data(), 32); else hex.assign(raw.begin(), raw.end());
    } else if (const char* k = std::getenv("WORKBENCH_MODEL_KEY")) {
        hex = k;
    }
    while (!hex.empty() && std::isspace((unsigned char)hex.back())) hex.pop_back();
    if (!raw_key && hex.size() != 64) {
        std::cerr << "set WORKBENCH_MODEL_KEY (64 hex characters) or WORKBENCH_MODEL_KEY_FILE\n"; std::exit(1);
    }
    for (int i = 0; !raw_key && i < 32; ++i) key[i] = (unsigned char)std::strtoul(hex.substr(2 * i, 2).c_str(), nullptr, 16);
    std::vector<unsigned char> plain(n);
    EVP_CIPHER_CTX* ctx = EVP_CIPHER_CTX_new();
    int len = 0, ok = EVP_DecryptInit_ex(ctx, EVP_aes_256_gcm(), nullptr, nullptr, nullptr);
    ok = ok && EVP_CIPHER_CTX_ctrl(ctx, EVP_CTRL_GCM_SET_IVLEN, 12, nullptr);
    ok = ok && EVP_DecryptInit_ex(ctx, nullptr, nullptr, key, blob.data() + aad);
    ok = ok && EVP_DecryptUpdate(ctx, nullptr, &len, blob.data(), static_cast<int>(aad));
    ok = ok && EVP_DecryptUpdate(ctx, plain.data(), &len, blob.data() + body, static_cast<int>(n));
    ok = ok && EVP_CIPHER_CTX_ctrl(ctx, EVP_CTRL_GCM_SET_TAG, 16, blob.data() + body + n);
    ok = ok && EVP_DecryptFinal_ex(ctx, plain.data() + len, &len) > 0;
    EVP_CIPHER_CTX_free(ctx);
    if (!ok) { std::cerr << path << ": wrong key, or the file was modified\n"; std::exit(1); }
    std::vector<std::vector<unsigned char>> parts;
    size_t at = 0;
    for (size_t s : SIZES) { parts.emplace_back(plain.begin() + at, plain.begin() + at + s); at += s; }
    return parts;
}
'''

ORT_MAIN = r'''
int main(int argc, char** argv) {
    std::string path = argc > 1 ? argv[1] : MODEL;
    Ort::Env env(ORT_LOGGING_LEVEL_WARNING, "run_model");
    Ort::SessionOptions options;
@SESSION@
    Ort::MemoryInfo mem = Ort::MemoryInfo::CreateCpu(OrtArenaAllocator, OrtMemTypeDefault);
    std::vector<Ort::Value> inputs;
@FEEDS@
    const char* in_names[] = {@IN_NAMES@};
    const char* out_names[] = {@OUT_NAMES@};
    std::vector<Ort::Value> outs = session.Run(Ort::RunOptions{nullptr}, in_names, inputs.data(), inputs.size(),
                                               out_names, @N_OUT@);
    for (size_t k = 0; k < outs.size(); ++k) {
        auto info = outs[k].GetTensorTypeAndShapeInfo();
        std::vector<int64_t> shape = info.GetShape();
        size_t n = info.GetElementCount();
        switch (info.GetElementType()) {
            case ONNX_TENSOR_ELEMENT_DATA_TYPE_FLOAT: show(out_names[k], shape, outs[k].GetTensorData<float>(), n); break;
            case ONNX_TENSOR_ELEMENT_DATA_TYPE_INT64: show(out_names[k], shape, outs[k].GetTensorData<int64_t>(), n); break;
            case ONNX_TENSOR_ELEMENT_DATA_TYPE_INT32: show(out_names[k], shape, outs[k].GetTensorData<int32_t>(), n); break;
            case ONNX_TENSOR_ELEMENT_DATA_TYPE_BOOL: show(out_names[k], shape, outs[k].GetTensorData<bool>(), n); break;
            default: std::printf("OUTPUT %s (element type %d not printed)\n", out_names[k], (int)info.GetElementType());
        }
    }
    return 0;
}
'''

OV_MAIN = r'''
int main(int argc, char** argv) {
    std::string path = argc > 1 ? argv[1] : MODEL;
    ov::Core core;
@SESSION@
    ov::CompiledModel compiled = core.compile_model(model, "CPU", ov::hint::inference_precision(ov::element::f32));
    ov::InferRequest request = compiled.create_infer_request();
@FEEDS@
    request.infer();
    for (const auto& port : compiled.outputs()) {
        ov::Tensor t = request.get_tensor(port);
        ov::Shape dims = t.get_shape();
        std::vector<int64_t> shape(dims.begin(), dims.end());
        size_t n = t.get_size();
        std::string name = port.get_any_name();
        auto type = t.get_element_type();
        if (type == ov::element::f32) show(name, shape, t.data<float>(), n);
        else if (type == ov::element::i64) show(name, shape, t.data<int64_t>(), n);
        else if (type == ov::element::i32) show(name, shape, t.data<int32_t>(), n);
        else if (type == ov::element::boolean) show(name, shape, t.data<bool>(), n);
        else std::printf("OUTPUT %s (element type %s not printed)\n", name.c_str(), type.get_type_name().c_str());
    }
    return 0;
}
'''

CMAKE_ORT = '''cmake_minimum_required(VERSION 3.16)
project(run_model CXX)
set(CMAKE_CXX_STANDARD 17)
# ONNXRUNTIME_ROOT: an ONNX Runtime release folder (include/ and lib/), or the onnxruntime pip wheel's folder
# (python -c "import onnxruntime, os; print(os.path.dirname(onnxruntime.__file__))": its capi/ has the library);
# the headers are then found in the system's include folders (Debian's libonnxruntime-dev: /usr/include/onnxruntime)
# or given with -DORT_INCLUDE=DIR. Headers older than the library are fine (ONNX Runtime's C API is versioned).
set(ONNXRUNTIME_ROOT "" CACHE PATH "an ONNX Runtime release folder (include/, lib/) or the onnxruntime wheel folder")
find_path(ORT_INCLUDE onnxruntime_cxx_api.h HINTS ${ONNXRUNTIME_ROOT}/include
          ${ONNXRUNTIME_ROOT}/include/onnxruntime/core/session PATH_SUFFIXES onnxruntime onnxruntime/core/session)
if(ONNXRUNTIME_ROOT)
  file(GLOB ORT_WHEEL_LIB ${ONNXRUNTIME_ROOT}/capi/libonnxruntime.so.1.*)
endif()
if(ORT_WHEEL_LIB AND NOT ORT_LIB)
  # the wheel's file is libonnxruntime.so.1.N.M, its soname libonnxruntime.so.1: a link of that name beside the
  # program (the build folder is on its run path), so it runs on this library and not on another one installed
  list(GET ORT_WHEEL_LIB 0 ORT_WHEEL_LIB)
  file(CREATE_LINK ${ORT_WHEEL_LIB} ${CMAKE_BINARY_DIR}/libonnxruntime.so.1 SYMBOLIC)
  set(ORT_LIB ${CMAKE_BINARY_DIR}/libonnxruntime.so.1)
else()
  find_library(ORT_LIB NAMES onnxruntime libonnxruntime.so.1 HINTS ${ONNXRUNTIME_ROOT}/lib ${ONNXRUNTIME_ROOT})
endif()
if(NOT ORT_INCLUDE OR NOT ORT_LIB)
  message(FATAL_ERROR "ONNX Runtime not found (headers: '${ORT_INCLUDE}', library: '${ORT_LIB}'): give "
          "-DONNXRUNTIME_ROOT=<release folder with include/ and lib/, or the onnxruntime wheel's folder> and, "
          "for the wheel, headers in the system's include folders or -DORT_INCLUDE=DIR")
endif()
add_executable(run_model main.cpp)
target_include_directories(run_model PRIVATE ${ORT_INCLUDE})
target_link_libraries(run_model PRIVATE ${ORT_LIB})
@OPENSSL@'''

CMAKE_OV = '''cmake_minimum_required(VERSION 3.16)
project(run_model CXX)
set(CMAKE_CXX_STANDARD 17)
# OpenVINO_DIR: a release's runtime/cmake, or the pip wheel's: python -c "import openvino, os;
# print(os.path.join(os.path.dirname(openvino.__file__), 'cmake'))"
find_package(OpenVINO REQUIRED COMPONENTS Runtime)
add_executable(run_model main.cpp)
target_link_libraries(run_model PRIVATE openvino::runtime)
@OPENSSL@'''

OPENSSL = "find_package(OpenSSL REQUIRED)\ntarget_link_libraries(run_model PRIVATE OpenSSL::Crypto)\n"


def _count(shape) -> int:
    n = 1
    for d in shape:
        n *= d
    return n


def _feeds_ort(spec) -> str:
    lines = []
    for j, t in enumerate(spec.inputs):
        n, dims = _count(t["shape"]), ", ".join(str(d) for d in t["shape"])
        lines.append(f"    std::vector<int64_t> shape{j} = {{{dims}}};")
        if t["dtype"] == "bool":
            lines.append(f"    auto data{j} = fill_bool({n});")
            ptr = f"data{j}.get()"
        else:
            lines.append(f"    auto data{j} = fill<{CTYPES[t['dtype']]}>({n}, {j});")
            ptr = f"data{j}.data()"
        lines.append(f"    inputs.push_back(Ort::Value::CreateTensor<{CTYPES[t['dtype']]}>(mem, {ptr}, {n}, "
                     f"shape{j}.data(), shape{j}.size()));")
    return "\n".join(lines)


def _feeds_ov(spec) -> str:
    lines = []
    for j, t in enumerate(spec.inputs):
        n, dims = _count(t["shape"]), ", ".join(str(d) for d in t["shape"])
        ctype = CTYPES[t["dtype"]]
        lines.append(f"    ov::Tensor in{j}(ov::element::{OV_TYPES[t['dtype']]}, ov::Shape{{{dims}}});")
        if t["dtype"] == "bool":
            lines.append(f"    {{ auto v = fill_bool({n}); std::memcpy(in{j}.data<bool>(), v.get(), {n}); }}")
        else:
            lines.append(f"    {{ auto v = fill<{ctype}>({n}, {j}); std::memcpy(in{j}.data<{ctype}>(), v.data(), "
                         f"{n} * sizeof({ctype})); }}")
        lines.append(f"    request.set_tensor(\"{t['name']}\", in{j});")
    return "\n".join(lines)


def render(spec) -> dict:
    encrypted = bool(spec.encrypted)
    sizes = ", ".join(str(s) for s in spec.encrypted["sizes"]) if encrypted else ""
    if spec.kind == "onnx":
        includes = "#include <memory>\n#include <onnxruntime_cxx_api.h>"
        session = ("    auto parts = decrypt_model(path);\n    Ort::Session session(env, parts[0].data(), "
                   "parts[0].size(), options);" if encrypted else
                   "    Ort::Session session(env, path.c_str(), options);")
        main = (ORT_MAIN.replace("@SESSION@", session).replace("@FEEDS@", _feeds_ort(spec))
                .replace("@IN_NAMES@", ", ".join(f'"{t["name"]}"' for t in spec.inputs))
                .replace("@OUT_NAMES@", ", ".join(f'"{t["name"]}"' for t in spec.outputs))
                .replace("@N_OUT@", str(len(spec.outputs))))
        cmake = CMAKE_ORT
    else:
        includes = "#include <memory>\n#include <openvino/openvino.hpp>"
        session = ("    auto parts = decrypt_model(path);\n    std::string xml(parts[0].begin(), parts[0].end());\n"
                   "    ov::Tensor weights(ov::element::u8, ov::Shape{parts[1].size()}, parts[1].data());\n"
                   "    std::shared_ptr<ov::Model> model = core.read_model(xml, weights);" if encrypted else
                   "    std::shared_ptr<ov::Model> model = core.read_model(path);")
        main = OV_MAIN.replace("@SESSION@", session).replace("@FEEDS@", _feeds_ov(spec))
        cmake = CMAKE_OV
    if encrypted:
        includes += "\n#include <openssl/evp.h>"
    source = (COMMON.replace("@INCLUDES@", includes).replace("@MODEL@", spec.path.replace("\\", "\\\\"))
              .replace("@SIZES@", sizes).replace("@DECRYPT@", DECRYPT if encrypted else "") + main)
    return {"main.cpp": source, "CMakeLists.txt": cmake.replace("@OPENSSL@", OPENSSL if encrypted else "")}
