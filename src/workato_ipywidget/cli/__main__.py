"""`python -m workato_ipywidget.cli ...`, as the tests and the hub's service config run it."""

from . import main

main()
