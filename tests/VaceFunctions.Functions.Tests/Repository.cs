namespace VaceFunctions.Functions.Tests;

/// <summary>Files of the repository and of the Functions app's build output, found from the test's own folder.</summary>
internal static class Repository
{
    public static string Root { get; } = FindRoot();

    /// <summary>The Functions app's build output, in the configuration the tests were built in.</summary>
    public static string FunctionsOutput => Path.Combine(Root, "functions", "bin", Configuration, "net10.0");

    private static string Configuration =>
        AppContext.BaseDirectory.Split(Path.DirectorySeparatorChar).Contains("Debug") ? "Debug" : "Release";

    private static string FindRoot()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            if (File.Exists(Path.Combine(dir.FullName, "VaceFunctions.sln")))
            {
                return dir.FullName;
            }
        }

        throw new InvalidOperationException("The repository root was not found.");
    }
}
