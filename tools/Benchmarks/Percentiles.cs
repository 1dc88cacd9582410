using System.Globalization;

namespace VaceFunctions.Benchmarks;

/// <summary>Median and 95th percentile of a set of durations in seconds, for the figures benchmarks print.</summary>
internal static class Percentiles
{
    public static string Describe(IEnumerable<double> seconds)
    {
        var sorted = seconds.Order().ToArray();
        return sorted.Length == 0
            ? "none"
            : string.Create(CultureInfo.InvariantCulture, $"median {At(sorted, 0.5):F2} s, p95 {At(sorted, 0.95):F2} s, max {sorted[^1]:F2} s");
    }

    private static double At(double[] sorted, double fraction) => sorted[(int)Math.Ceiling(fraction * sorted.Length) - 1];
}
