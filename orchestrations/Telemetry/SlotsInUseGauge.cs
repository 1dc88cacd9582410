using System.Diagnostics.Metrics;
using Azure;
using Microsoft.Extensions.DependencyInjection;
using VaceFunctions.Orchestrations.Admission;

namespace VaceFunctions.Orchestrations.Telemetry;

/// <summary>
/// The <c>vace.slots.in_use</c> gauge: the slots held now across the storage account, which every host reports alike.
/// A collection runs on the metrics exporter's thread, so it never waits on storage: it reports what the last read of
/// the slot records found and starts the next read in the background (one at a time), so each export reports the count
/// read at the one before. A host without admission storage, storage not read yet, or a read that failed or did not
/// answer within <see cref="ReadTimeout"/> reports nothing.
/// </summary>
/// <param name="services">
/// Resolves <see cref="AdmissionSlots"/> at each collection: only the hosts that run the workflow have storage for them.
/// </param>
internal sealed class SlotsInUseGauge(IServiceProvider services) : IDisposable
{
    /// <summary>How long a read of the slot records may take before the count is taken as unknown.</summary>
    public static readonly TimeSpan ReadTimeout = TimeSpan.FromSeconds(10);

    private readonly CancellationTokenSource _stopping = new();
    private Measurement<int>[] _last = [];
    private int _reading;

    public IEnumerable<Measurement<int>> Observe()
    {
        if (services.GetService<AdmissionSlots>() is not { } slots)
        {
            return [];
        }

        if (Interlocked.CompareExchange(ref _reading, 1, 0) == 0)
        {
            // Off this thread from the first line on: even the start of a storage call may wait (on a connection).
            _ = Task.Run(() => ReadAsync(slots));
        }

        return Volatile.Read(ref _last);
    }

    public void Dispose()
    {
        _stopping.Cancel();
        _stopping.Dispose();
    }

    private async Task ReadAsync(AdmissionSlots slots)
    {
        Measurement<int>[] read = [];
        try
        {
            using var timeout = CancellationTokenSource.CreateLinkedTokenSource(_stopping.Token);
            timeout.CancelAfter(ReadTimeout);
            read = [new Measurement<int>((await slots.HoldersAsync(timeout.Token)).Count)];
        }
        catch (Exception ex) when (ex is RequestFailedException or OperationCanceledException or HttpRequestException or ObjectDisposedException)
        {
            // Storage failed, did not answer in time, or the host stops: the count is unknown until a read succeeds.
        }
        finally
        {
            Volatile.Write(ref _last, read);
            Volatile.Write(ref _reading, 0);
        }
    }
}
