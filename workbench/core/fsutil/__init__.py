"""Every output the workbench writes goes through this module, so that no user file is ever lost.

``staged_output(final)`` yields a path inside a private staging folder next to ``final``; the job writes its
output (and side files such as ``model.onnx.data``) there under their final names, and only when the block ends
without an error is every file moved into place. Before anything is written, and again before the move, each
target is checked:

* never replaced: a folder, anything that is not a regular file (a device, FIFO or socket), a file of the job's
  own input (the input model, its external data, any file of a source folder), anything in a system folder
  (``/``, ``/etc``, ``/usr``, under ``/proc``, ``/sys`` or ``/dev``);
* replaced only with ``force``: an existing regular file the workbench did not write itself, and a symbolic link
  (the link itself is replaced, never the file it points to). One error names every file that would be replaced;
* replaced freely: a file the workbench wrote earlier and nobody has changed since. A folder that the workbench
  created (or found empty) gets a small manifest, ``.workbench-output``, that lists the files it wrote there with
  their size and modification time; user files in that folder are never in it.

A failed, cancelled or terminated (SIGTERM, see ``terminate_on_sigterm``) job leaves the disk as it found it: the
staging folder goes, files that would have been replaced are put back, and folders the job created are removed.
Staging folders carry the writer's PID in their name (``.model.onnx.partial-<pid>-<random>``); ones left by a
process that is no longer alive (SIGKILL, power loss) are removed by the next job writing into the same folder.
``output_folder(dir)`` does the same for a whole recipe run: on failure everything the run wrote is removed.

The module is split along its concerns: ``checks`` (where an output may go), ``manifest`` (the files the
workbench wrote in a folder), ``staging`` (staged writes and rollback), ``signals`` (SIGTERM as an exception); the
names below are the package's interface.
"""

from workbench.core.fsutil.checks import (ALLOWED_TREES, FORCE_HINT, SYSTEM_DIRS, SYSTEM_TREES, check_folder,
                                          check_name, check_output, check_outputs, external_data_files, file_size,
                                          output_path, output_rules, source_inputs, would_replace, written_by)
from workbench.core.fsutil.manifest import MARKER
from workbench.core.fsutil.signals import Terminated, terminate_on_sigterm
from workbench.core.fsutil.staging import clean_stale, output_folder, staged_folder, staged_output, work_folder

__all__ = ["ALLOWED_TREES", "FORCE_HINT", "MARKER", "SYSTEM_DIRS", "SYSTEM_TREES", "Terminated", "check_folder",
           "check_name", "check_output", "check_outputs", "clean_stale", "external_data_files", "file_size",
           "output_folder", "output_path", "output_rules", "source_inputs", "staged_folder", "staged_output",
           "terminate_on_sigterm", "work_folder", "would_replace", "written_by"]
