"""The Docker action's entrypoint: hands over to the package, nothing else."""

from apiq_gate.action import main

if __name__ == "__main__":
    main()
