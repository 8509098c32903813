"""Netron in the Graph panel: the web view (view.py, Qt), its server (server.py) and the node details
(index.py; both Qt-free), and the JavaScript injected into Netron's page (*.js, package data)."""
