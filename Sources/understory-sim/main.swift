// The standalone simulator server. Parsing and printing only; everything else is in UnderstorySimulator.
await UnderstorySimCommand.main()
