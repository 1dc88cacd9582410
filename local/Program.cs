using VaceFunctions.Local.Cli;

return await VaceCli.Create().Parse(args).InvokeAsync();
