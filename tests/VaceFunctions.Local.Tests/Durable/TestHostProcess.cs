using System.Diagnostics;

namespace VaceFunctions.Local.Tests.Durable;

/// <summary>A separate host process of the embedded runtime (tests/VaceFunctions.Local.TestHost).</summary>
internal sealed class TestHostProcess : IDisposable
{
    private readonly Process _process;

    private TestHostProcess(Process process) => _process = process;

    public int Id => _process.Id;

    public bool HasExited => _process.HasExited;

    public static TestHostProcess Start(string storage, string hub, params string[] options)
    {
        var start = new ProcessStartInfo("dotnet")
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        foreach (var arg in new[] { Path.Combine(AppContext.BaseDirectory, "VaceFunctions.Local.TestHost.dll"), storage, hub }.Concat(options))
        {
            start.ArgumentList.Add(arg);
        }

        var process = Process.Start(start)!;
        process.OutputDataReceived += (_, _) => { };
        process.ErrorDataReceived += (_, _) => { };
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        return new TestHostProcess(process);
    }

    public void Dispose()
    {
        if (!_process.HasExited)
        {
            _process.Kill(entireProcessTree: true);
            _process.WaitForExit();
        }

        _process.Dispose();
    }
}
