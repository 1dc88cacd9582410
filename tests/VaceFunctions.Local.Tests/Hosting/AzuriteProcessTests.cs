using System.Globalization;
using Azure.Storage.Blobs;
using Azure.Storage.Queues;
using VaceFunctions.Local.Hosting;

namespace VaceFunctions.Local.Tests.Hosting;

/// <summary>
/// Azurite with its data on disk: stopped, it keeps every write it acknowledged. The Azurite a real <c>vace serve</c>
/// starts (no storage configured: data in ./.azurite, the default ports), when the host is killed outright: Azurite
/// goes with it, and the next start finds its ports free.
/// </summary>
[Collection(DefaultPortsCollection)]
public sealed class AzuriteProcessTests : IDisposable
{
    /// <summary>Tests whose Azurite takes the default ports, as serve's own does: one at a time.</summary>
    public const string DefaultPortsCollection = "Azurite on the default ports";

    private readonly DirectoryInfo _folder = Directory.CreateTempSubdirectory("vace-serve-");

    public void Dispose() => _folder.Delete(recursive: true);

    [Fact]
    public async Task Serve_KilledOutright_TakesItsAzuriteWithIt_AndTheNextServeStartsItsOwnOnTheSamePorts()
    {
        await WaitUntilDefaultPortsFreeAsync();
        var port = HostProcess.FreePort();
        var settings = HostProcess.OfflineSettings();

        int[] azurite;
        using (var first = HostProcess.Start(port, settings, _folder.FullName))
        {
            await first.WaitUntilServingAsync();
            azurite = ProcessTree.DescendantsRunning(first.Id, "azurite");
            Assert.NotEmpty(azurite);
            Assert.True(await AzuriteProcess.IsDefaultRunningAsync());

            first.Kill();
        }

        var deadline = DateTime.UtcNow.AddSeconds(10);
        while (azurite.Any(ProcessTree.IsAlive) || await AzuriteProcess.IsDefaultRunningAsync())
        {
            Assert.True(DateTime.UtcNow < deadline, $"still running 10 s after the host was killed: {string.Join(", ", azurite.Where(ProcessTree.IsAlive))}");
            await Task.Delay(100);
        }

        // Nothing holds the ports, so the restarted host starts an Azurite of its own on them, over the same data.
        using var second = HostProcess.Start(port, settings, _folder.FullName);
        await second.WaitUntilServingAsync();
        Assert.NotEmpty(ProcessTree.DescendantsRunning(second.Id, "azurite"));
    }

    [Fact]
    public async Task Serve_KilledOutright_ItsAzuriteStillKeepsWhatWasWrittenJustBefore()
    {
        await WaitUntilDefaultPortsFreeAsync();
        var port = HostProcess.FreePort();
        using (var host = HostProcess.Start(port, HostProcess.OfflineSettings(), _folder.FullName))
        {
            await host.WaitUntilServingAsync();

            // Written well inside Azurite's 5 s between saves, then the host dies: only Azurite's save as it stops keeps them
            // (it used to die of the broken output pipe instead).
            var container = new BlobContainerClient(AzuriteProcess.DefaultConnectionStringFor(Path.Combine(_folder.FullName, ".azurite")), "kept");
            await container.CreateAsync();
            await container.UploadBlobAsync("written-last", BinaryData.FromString("acknowledged"));
            var queue = new QueueClient(AzuriteProcess.DefaultConnectionStringFor(Path.Combine(_folder.FullName, ".azurite")), "kept");
            await queue.CreateAsync();
            await queue.SendMessageAsync("acknowledged");
            host.Kill();
        }

        await WaitUntilDefaultPortsFreeAsync();
        await using var restarted = await AzuriteProcess.StartAsync(Path.Combine(_folder.FullName, ".azurite"));
        var blob = new BlobClient(restarted.ConnectionString, "kept", "written-last");
        Assert.True((await blob.ExistsAsync()).Value, "a blob written just before serve was killed is gone");
        var messages = (await new QueueClient(restarted.ConnectionString, "kept").PeekMessagesAsync(10)).Value;
        Assert.Equal(["acknowledged"], messages.Select(m => m.Body.ToString()));
    }

    [Fact]
    public async Task Dispose_OfAzuriteOnDisk_KeepsWhatWasWrittenJustBefore()
    {
        await WaitUntilDefaultPortsFreeAsync();
        var first = await AzuriteProcess.StartAsync(_folder.FullName);
        var container = new BlobContainerClient(first.ConnectionString, "kept");
        await container.CreateAsync();
        await container.UploadBlobAsync("written-last", BinaryData.FromString("acknowledged"));
        await first.DisposeAsync();

        await using var second = await AzuriteProcess.StartAsync(_folder.FullName);
        var blob = new BlobClient(second.ConnectionString, "kept", "written-last");
        Assert.True((await blob.ExistsAsync()).Value, "a blob written just before Azurite was stopped is gone");
        Assert.Equal("acknowledged", (await blob.DownloadContentAsync()).Value.Content.ToString());
    }

    /// <summary>
    /// The Azurite serve starts over a folder runs with the folder's own random key, kept there for its owner alone and
    /// read by the next start and by every local command; the well-known development key, which any web page knows,
    /// is refused. An in-memory Azurite has a key of its own too.
    /// </summary>
    [Fact]
    public async Task StartAsync_OverAFolder_RunsWithTheFoldersOwnKey_AndRefusesTheWellKnownKey()
    {
        await WaitUntilDefaultPortsFreeAsync();
        var location = Path.Combine(_folder.FullName, ".azurite");
        string key;
        await using (var first = await AzuriteProcess.StartAsync(location))
        {
            var file = Path.Combine(location, AzuriteProcess.KeyFileName);
            key = (await File.ReadAllTextAsync(file)).Trim();
            if (!OperatingSystem.IsWindows())
            {
                Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite, File.GetUnixFileMode(file));
            }

            Assert.Contains($"AccountKey={key};", first.ConnectionString, StringComparison.Ordinal);
            Assert.Equal(first.ConnectionString, AzuriteProcess.DefaultConnectionStringFor(location));
            await new BlobContainerClient(first.ConnectionString, "keyed").CreateAsync();
            await AssertRefusedAsync(AzuriteProcess.ConnectionStringFor(AzuriteProcess.WellKnownKey, 10000, 10001, 10002));
        }

        await using var second = await AzuriteProcess.StartAsync(location);
        Assert.Contains($"AccountKey={key};", second.ConnectionString, StringComparison.Ordinal);
        Assert.True((await new BlobContainerClient(second.ConnectionString, "keyed").ExistsAsync()).Value);

        await using var inMemory = await AzuriteProcess.StartAsync();
        Assert.DoesNotContain(key, inMemory.ConnectionString, StringComparison.Ordinal);
        Assert.DoesNotContain(AzuriteProcess.WellKnownKey, inMemory.ConnectionString, StringComparison.Ordinal);
        await AssertRefusedAsync(inMemory.ConnectionString.Replace(
            inMemory.ConnectionString.Split("AccountKey=")[1].Split(';')[0], AzuriteProcess.WellKnownKey, StringComparison.Ordinal));
    }

    private static async Task AssertRefusedAsync(string connectionString)
    {
        var refused = await Assert.ThrowsAsync<Azure.RequestFailedException>(
            () => new BlobServiceClient(connectionString).GetBlobContainersAsync().AsPages().GetAsyncEnumerator().MoveNextAsync().AsTask());
        Assert.Equal(403, refused.Status);
    }

    /// <summary>
    /// Waits until nothing listens on Azurite's default blob port: the Azurite of a test that just ended may take a
    /// moment to go. One that stays is someone else's, and in the way.
    /// </summary>
    internal static async Task WaitUntilDefaultPortsFreeAsync()
    {
        var deadline = DateTime.UtcNow.AddSeconds(30);
        while (await AzuriteProcess.IsDefaultRunningAsync())
        {
            Assert.True(DateTime.UtcNow < deadline, "Something else listens on 10000, the port of an Azurite on disk: stop it first.");
            await Task.Delay(100);
        }
    }

    /// <summary>Processes as Linux's /proc shows them.</summary>
    private static class ProcessTree
    {
        /// <summary>The live descendants of <paramref name="pid"/> whose command line mentions <paramref name="text"/>.</summary>
        public static int[] DescendantsRunning(int pid, string text)
        {
            var parents = new Dictionary<int, int>();
            foreach (var folder in Directory.GetDirectories("/proc"))
            {
                if (int.TryParse(Path.GetFileName(folder), out var id) && Stat(id) is { } stat)
                {
                    parents[id] = stat.Parent;
                }
            }

            bool Descends(int id)
            {
                for (var seen = 0; parents.TryGetValue(id, out var parent) && seen < 64; seen++, id = parent)
                {
                    if (parent == pid)
                    {
                        return true;
                    }
                }

                return false;
            }

            return parents.Keys.Where(id => Descends(id) && IsAlive(id) && CommandLine(id).Contains(text, StringComparison.Ordinal)).ToArray();
        }

        /// <summary>True while the process exists and is not a zombie (dead, waiting to be reaped).</summary>
        public static bool IsAlive(int pid) => Stat(pid) is { State: not 'Z' and not 'X' };

        private static (char State, int Parent)? Stat(int pid)
        {
            try
            {
                // "pid (comm) state ppid …": comm may hold spaces and parentheses, so read from the last ')'.
                var stat = File.ReadAllText($"/proc/{pid}/stat");
                var fields = stat[(stat.LastIndexOf(')') + 2)..].Split(' ');
                return (fields[0][0], int.Parse(fields[1], CultureInfo.InvariantCulture));
            }
            catch (IOException)
            {
                return null;
            }
            catch (UnauthorizedAccessException)
            {
                return null;
            }
        }

        private static string CommandLine(int pid)
        {
            try
            {
                return File.ReadAllText($"/proc/{pid}/cmdline").Replace('\0', ' ');
            }
            catch (IOException)
            {
                return "";
            }
        }
    }
}
