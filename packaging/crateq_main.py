"""Entry script of the frozen app: exactly what the ``crateq`` console script runs."""

from crateq.launch import main

main()
