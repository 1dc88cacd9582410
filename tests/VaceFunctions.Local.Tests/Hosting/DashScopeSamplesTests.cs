using System.Diagnostics;
using System.Globalization;
using System.Text.Json.Nodes;
using VaceFunctions.DashScopeSimulator;
using VaceFunctions.Local.Hosting;

namespace VaceFunctions.Local.Tests.Hosting;

/// <summary>
/// The service's own Python sample (requests), as its documentation gives it with only the base URL changed, against
/// <c>vace serve</c> with its defaults — its <c>Authorization: Bearer</c> DashScope key and all — while the host is
/// killed outright and started again under it: the sample's own retry carries it to the owned video.
/// </summary>
[Collection(AzuriteProcessTests.DefaultPortsCollection)]
public sealed class DashScopeSamplesTests : IDisposable
{
    /// <summary>The base URL line of the documentation's samples, the one line a user changes.</summary>
    private const string ServiceBaseUrl = "BASE_URL = \"https://dashscope-intl.aliyuncs.com/api/v1\"";

    private readonly DirectoryInfo _folder = Directory.CreateTempSubdirectory("vace-python-");

    public void Dispose() => _folder.Delete(recursive: true);

    /// <summary>
    /// The guide's text lost the sample's indentation; the copy run here is the guide's Python block line for line,
    /// with the indentation put back and nothing else changed.
    /// </summary>
    [Fact]
    public void PythonSample_IsTheGuidesOwn_ButForItsIndentation()
    {
        var guide = File.ReadAllText(Path.Combine(HostTestSupport.ReferenceFolder(), "wan-vace-video-editing-guide.txt"));
        var start = guide.IndexOf("\"Python\n", StringComparison.Ordinal) + "\"Python\n".Length;
        var end = guide.IndexOf("}\")Java", start, StringComparison.Ordinal) + "}\")".Length;

        Assert.Equal(Lines(guide[start..end]), Lines(File.ReadAllText(SamplePath)));
    }

    [Fact]
    public async Task PythonSample_OnlyItsBaseUrlChanged_SucceedsAgainstServe_AcrossAKillOfTheHost()
    {
        await AzuriteProcessTests.WaitUntilDefaultPortsFreeAsync();
        var port = HostProcess.FreePort();
        var settings = HostProcess.OfflineSettings();
        var script = Path.Combine(_folder.FullName, "sample.py");
        var source = await File.ReadAllTextAsync(SamplePath);
        Assert.Contains(ServiceBaseUrl, source, StringComparison.Ordinal);
        await File.WriteAllTextAsync(script, source.Replace(
            ServiceBaseUrl, $"BASE_URL = \"http://127.0.0.1:{port.ToString(CultureInfo.InvariantCulture)}/api/v1\"", StringComparison.Ordinal));

        var first = HostProcess.Start(port, settings, _folder.FullName);
        HostProcess? second = null;
        try
        {
            await first.WaitUntilServingAsync();
            var simulator = ServeRestartTests.SimulatorUrl(first);
            using var python = Python.Start(script);
            var taskLine = await python.WaitForLineAsync(l => l.StartsWith("Task ID: ", StringComparison.Ordinal), TimeSpan.FromMinutes(1));

            first.Kill();
            await AzuriteProcessTests.WaitUntilDefaultPortsFreeAsync();
            second = HostProcess.Start(port, settings, _folder.FullName);
            await second.WaitUntilServingAsync();
            var exitCode = await python.WaitForExitAsync(TimeSpan.FromMinutes(4));

            var output = string.Join("\n", python.Lines);
            Assert.True(exitCode == 0, output);
            var video = python.Lines.Single(l => l.StartsWith("Video generated successfully: ", StringComparison.Ordinal))["Video generated successfully: ".Length..];
            Assert.StartsWith($"http://127.0.0.1:10000/{AzuriteProcess.Account}/vace-output/{taskLine["Task ID: ".Length..]}/", video, StringComparison.Ordinal);
            using var download = new HttpClient();
            Assert.Equal(SampleVideo.Bytes.ToArray(), await download.GetByteArrayAsync(video));
            var counters = JsonNode.Parse(await download.GetStringAsync(new Uri(new Uri(simulator), "admin/counters")))!;
            Assert.Equal(1, counters["tasksCreated"]!.GetValue<int>());
        }
        finally
        {
            first.Dispose();
            second?.Dispose();
        }
    }

    private static string SamplePath => Path.Combine(AppContext.BaseDirectory, "Samples", "dashscope_image_reference.py");

    private static string[] Lines(string text) =>
        text.Split('\n').Select(l => l.Trim()).Where(l => l.Length > 0).ToArray();

    /// <summary>A Python process with its output kept line by line (stderr with it).</summary>
    private sealed class Python : IDisposable
    {
        private readonly Process _process;
        private readonly List<string> _lines = [];

        private Python(Process process) => _process = process;

        public IReadOnlyList<string> Lines
        {
            get
            {
                lock (_lines)
                {
                    return [.. _lines];
                }
            }
        }

        /// <summary>The interpreter: <c>VACE_TEST_PYTHON</c> (scripts/test.sh names one that has requests), else python3.</summary>
        public static Python Start(string script)
        {
            var start = new ProcessStartInfo(Environment.GetEnvironmentVariable("VACE_TEST_PYTHON") is { Length: > 0 } named ? named : "python3")
            {
                RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false,
                ArgumentList = { "-u", script },
                Environment = { ["DASHSCOPE_API_KEY"] = "sk-0f1e2d3c4b5a69788796a5b4c3d2e1f0" },
            };
            var python = new Python(Process.Start(start)!);
            python._process.OutputDataReceived += (_, e) => python.Add(e.Data);
            python._process.ErrorDataReceived += (_, e) => python.Add(e.Data);
            python._process.BeginOutputReadLine();
            python._process.BeginErrorReadLine();
            return python;
        }

        public async Task<string> WaitForLineAsync(Func<string, bool> match, TimeSpan timeout)
        {
            var deadline = DateTime.UtcNow + timeout;
            while (true)
            {
                if (Lines.FirstOrDefault(match) is { } line)
                {
                    return line;
                }

                Assert.True(DateTime.UtcNow < deadline && !_process.HasExited, "the sample printed no such line: " + string.Join("\n", Lines));
                await Task.Delay(100);
            }
        }

        public async Task<int> WaitForExitAsync(TimeSpan timeout)
        {
            using var limit = new CancellationTokenSource(timeout);
            try
            {
                await _process.WaitForExitAsync(limit.Token);
            }
            catch (OperationCanceledException)
            {
                Assert.Fail($"the sample did not end within {timeout}: " + string.Join("\n", Lines));
            }

            return _process.ExitCode;
        }

        public void Dispose()
        {
            if (!_process.HasExited)
            {
                _process.Kill();
            }

            _process.Dispose();
        }

        private void Add(string? line)
        {
            if (line is not null)
            {
                lock (_lines)
                {
                    _lines.Add(line);
                }
            }
        }
    }
}
