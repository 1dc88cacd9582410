using VaceFunctions.DashScopeSimulator;

await SimulatorHost.Build(args).RunAsync();
