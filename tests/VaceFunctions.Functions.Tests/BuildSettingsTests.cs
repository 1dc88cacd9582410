using System.Text.RegularExpressions;
using System.Xml.Linq;

namespace VaceFunctions.Functions.Tests;

/// <summary>Directory.Build.props: the build that passed here passes with a newer SDK too (azd deploy builds functions/).</summary>
public sealed class BuildSettingsTests
{
    [Fact]
    public void AnalysisLevelAndLanguageVersion_ArePinned()
    {
        var properties = XDocument.Load(Path.Combine(Repository.Root, "Directory.Build.props")).Descendants("PropertyGroup").Elements()
            .ToDictionary(e => e.Name.LocalName, e => e.Value);

        // With warnings as errors, "latest" would take a newer SDK's new rules or language version, and fail the build.
        Assert.Equal("true", properties["TreatWarningsAsErrors"]);
        Assert.Matches(new Regex(@"^\d+\.\d+-recommended$"), properties["AnalysisLevel"]);
        Assert.Matches(new Regex(@"^\d+\.\d+$"), properties["LangVersion"]);
    }
}
