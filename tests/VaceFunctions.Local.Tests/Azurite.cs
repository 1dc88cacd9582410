using VaceFunctions.Local.Hosting;

namespace VaceFunctions.Local.Tests;

/// <summary>
/// The Azure Storage emulator for integration tests: one in-memory Azurite per test run, on free loopback ports,
/// stopped when the tests end. Installed by scripts/test.sh (npm); set VACE_TEST_STORAGE to a connection string
/// to use another account instead.
/// </summary>
internal sealed class Azurite
{
    private static readonly Lazy<Task<Azurite>> Shared = new(StartAsync);

    private Azurite(string connectionString) => ConnectionString = connectionString;

    public string ConnectionString { get; }

    public static Task<Azurite> GetAsync() => Shared.Value;

    /// <summary>A name no other test uses, for a hub, container or queue.</summary>
    public static string UniqueName(string prefix) => prefix + Guid.NewGuid().ToString("N")[..10];

    private static async Task<Azurite> StartAsync() =>
        Environment.GetEnvironmentVariable("VACE_TEST_STORAGE") is { Length: > 0 } configured
            ? new Azurite(configured)
            : new Azurite((await AzuriteProcess.StartAsync()).ConnectionString);
}
