using VaceFunctions.Local.Cli;

return await VaceCli.InvokeAsync(args);
