namespace VaceFunctions.Local.Tests.Suites;

/// <summary>
/// The size of the reliability suites: reduced in CI, full with <c>VACE_FULL_SUITES=1</c> (more corpus rounds, more
/// jobs, longer storms, the ten-minute outage).
/// </summary>
internal static class SuiteSize
{
    public const string Flag = "VACE_FULL_SUITES";

    public static bool Full { get; } = Environment.GetEnvironmentVariable(Flag) == "1";

    /// <summary><paramref name="ci"/> in CI, <paramref name="full"/> with the flag.</summary>
    public static T Pick<T>(T ci, T full) => Full ? full : ci;
}
