using Microsoft.Extensions.Configuration;
using VaceFunctions.Local.Hosting;

namespace VaceFunctions.Local.Tests.Hosting;

public sealed class LocalSettingsTests : IDisposable
{
    private readonly DirectoryInfo _temp = Directory.CreateTempSubdirectory("vace-settings-");

    public void Dispose() => _temp.Delete(recursive: true);

    [Fact]
    public void AddLocalSettings_FunctionsFile_MapsValuesToSections()
    {
        var path = Path.Combine(_temp.FullName, LocalSettings.FileName);
        File.WriteAllText(path, """
            {
              // a comment, as people write in this file
              "IsEncrypted": false,
              "Values": {
                "AzureWebJobsStorage": "UseDevelopmentStorage=true",
                "DashScope__ApiKey": "sk-from-file",
                "Vace__Queue__MaxDequeueCount": 7,
              }
            }
            """);

        var configuration = new ConfigurationBuilder().AddLocalSettings(path).Build();

        Assert.Equal("UseDevelopmentStorage=true", configuration["AzureWebJobsStorage"]);
        Assert.Equal("sk-from-file", configuration["DashScope:ApiKey"]);
        Assert.Equal("7", configuration["Vace:Queue:MaxDequeueCount"]);
    }

    [Fact]
    public void AddLocalSettings_NoFile_AddsNothing()
    {
        var configuration = new ConfigurationBuilder().AddLocalSettings(Path.Combine(_temp.FullName, "missing.json")).Build();

        Assert.Empty(configuration.AsEnumerable());
    }

    /// <summary>An edited file reaches a running host's configuration (and so its API keys) without a restart.</summary>
    [Fact]
    public async Task AddLocalSettings_ReloadOnChange_ReadsTheEditedFile_AndAHalfWrittenOneAsEmpty()
    {
        var path = Path.Combine(_temp.FullName, LocalSettings.FileName);
        await File.WriteAllTextAsync(path, """{ "Values": { "Vace__Http__Keys__ci": "sha256:old" } }""");
        var configuration = new ConfigurationBuilder().AddLocalSettings(path, reloadOnChange: true).Build();
        Assert.Equal("sha256:old", configuration["Vace:Http:Keys:ci"]);

        await File.WriteAllTextAsync(path, """{ "Values": { "Vace__Http__Keys__ci": "sha256:new" } }""");
        File.SetLastWriteTimeUtc(path, DateTime.UtcNow.AddSeconds(1));
        await WaitForAsync(() => configuration["Vace:Http:Keys:ci"] == "sha256:new");

        await File.WriteAllTextAsync(path, """{ "Values": { "Vace__Http__Keys__ci": "sha""");
        File.SetLastWriteTimeUtc(path, DateTime.UtcNow.AddSeconds(2));
        await WaitForAsync(() => configuration["Vace:Http:Keys:ci"] is null);
    }

    private static async Task WaitForAsync(Func<bool> condition)
    {
        var deadline = DateTime.UtcNow.AddSeconds(30);
        while (!condition())
        {
            Assert.True(DateTime.UtcNow < deadline, "the configuration never changed");
            await Task.Delay(100);
        }
    }

    [Fact]
    public void SampleFile_ListsKeysTheHostReads()
    {
        var sample = Path.Combine(FindRepository(), "local.settings.sample.json");

        var values = LocalSettings.Read(sample);

        Assert.Contains("AzureWebJobsStorage", values.Keys);
        Assert.Contains("DashScope:ApiKey", values.Keys);
        Assert.Contains("Vace:MaxWait", values.Keys);
        Assert.Contains("Durable:TaskHub", values.Keys);
    }

    private static string FindRepository()
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
