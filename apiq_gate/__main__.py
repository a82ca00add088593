from apiq_gate.cli import main

main()
