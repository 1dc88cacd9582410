namespace VaceFunctions.Local.Tests.Suites;

/// <summary>A test that runs only at full size (<c>VACE_FULL_SUITES=1</c>); skipped, saying why, otherwise.</summary>
internal sealed class FullSuiteFactAttribute : FactAttribute
{
    public FullSuiteFactAttribute(string whyNotInCi)
    {
        if (!SuiteSize.Full)
        {
            Skip = $"Runs with {SuiteSize.Flag}=1: {whyNotInCi}";
        }
    }
}
