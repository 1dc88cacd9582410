using System.Diagnostics.Metrics;
using Microsoft.Extensions.DependencyInjection;
using VaceFunctions.Local.Tests.Http;
using VaceFunctions.Local.Tests.Operations;
using VaceFunctions.Orchestrations.Telemetry;

namespace VaceFunctions.Local.Tests.Telemetry;

/// <summary>The slots gauge of a whole local host whose storage a test stalls, collected as an exporter does.</summary>
public sealed class SlotsInUseGaugeTests
{
    [Fact]
    public async Task Collection_WhileStorageStalls_ReturnsWithoutWaitingOnIt_ThenReportsNothing_AndTheCountOnceStorageAnswers()
    {
        await using var host = await ProxiedHost.StartAsync(TimeSpan.FromSeconds(60));
        _ = host.Services.GetRequiredService<VaceTelemetry>();
        using var gauge = new GaugeReader(host.Services.GetRequiredService<IMeterFactory>());

        // Storage answers: the count appears once the read the first collection started has landed.
        Assert.Single(await gauge.CollectUntilAsync(values => values.Length > 0));

        host.Proxy.Set(StorageProxy.Mode.Stall);

        // Each of these collections would wait out the read's timeout if it read storage itself.
        var collections = Task.Factory.StartNew(() => Enumerable.Range(0, 3).Select(_ => gauge.Collect()).ToList(), TaskCreationOptions.LongRunning);
        Assert.Same(collections, await Task.WhenAny(collections, Task.Delay(SlotsInUseGauge.ReadTimeout)));

        // The stalled read times out: an unknown count is not reported.
        await gauge.CollectUntilAsync(values => values.Length == 0);

        host.Proxy.Set(StorageProxy.Mode.Forward);
        Assert.Single(await gauge.CollectUntilAsync(values => values.Length > 0));
    }

    /// <summary>Listens to one host's <c>vace.slots.in_use</c> (other hosts in this process have meters of the same name).</summary>
    private sealed class GaugeReader : IDisposable
    {
        private readonly MeterListener _listener = new();
        private readonly List<int> _values = [];

        public GaugeReader(IMeterFactory host)
        {
            _listener.InstrumentPublished = (instrument, listener) =>
            {
                if (instrument.Name == "vace.slots.in_use" && ReferenceEquals(instrument.Meter.Scope, host))
                {
                    listener.EnableMeasurementEvents(instrument);
                }
            };
            _listener.SetMeasurementEventCallback<int>((_, value, _, _) => _values.Add(value));
            _listener.Start();
        }

        /// <summary>One collection, as a metrics exporter makes it: what the gauge reported.</summary>
        public int[] Collect()
        {
            lock (_values)
            {
                _values.Clear();
                _listener.RecordObservableInstruments();
                return [.. _values];
            }
        }

        public async Task<int[]> CollectUntilAsync(Func<int[], bool> done)
        {
            var deadline = DateTime.UtcNow.AddMinutes(1);
            while (true)
            {
                var values = Collect();
                if (done(values))
                {
                    return values;
                }

                Assert.True(DateTime.UtcNow < deadline, $"the gauge still reports [{string.Join(", ", values)}]");
                await Task.Delay(200);
            }
        }

        public void Dispose() => _listener.Dispose();
    }
}
