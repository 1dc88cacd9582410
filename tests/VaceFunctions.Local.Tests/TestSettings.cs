namespace VaceFunctions.Local.Tests;

/// <summary>
/// Configuration for running VACE jobs fast against the simulator, shared by in-process and process tests. Loopback
/// stays closed but for the simulator's own origin (the DashScope base URL), as for users: a test that serves media or
/// receives callbacks on loopback opens it itself (Vace:AllowLoopbackUrls).
/// </summary>
public static class TestSettings
{
    public const string SimulatorKey = "sk-simulator";

    public static Dictionary<string, string?> Workflow(Uri simulator, string stateContainer, string outputContainer) => new()
    {
        ["DashScope:BaseUrl"] = simulator.ToString(),
        ["DashScope:ApiKey"] = SimulatorKey,
        ["DashScope:RetryDelay"] = "00:00:00.050",
        ["Vace:InitialPollInterval"] = "00:00:00.100",
        ["Vace:PollInterval"] = "00:00:00.200",
        ["Vace:SlotRetryInterval"] = "00:00:00.200",
        ["Vace:MaxWait"] = "00:05:00",
        ["Vace:StateContainer"] = stateContainer,
        ["Vace:OutputContainer"] = outputContainer,
    };
}
