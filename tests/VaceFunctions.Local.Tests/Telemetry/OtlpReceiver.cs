using System.Collections.Concurrent;
using Google.Protobuf;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Logging;

namespace VaceFunctions.Local.Tests.Telemetry;

/// <summary>
/// A tiny OTLP/HTTP receiver on a loopback port: it keeps every protobuf body POSTed to <c>/v1/traces</c>,
/// <c>/v1/metrics</c> or <c>/v1/logs</c>, and reads spans and metric names out of them with the protobuf wire format
/// (opentelemetry-proto's field numbers).
/// </summary>
internal sealed class OtlpReceiver : IAsyncDisposable
{
    private readonly WebApplication _app;
    private readonly ConcurrentQueue<(string Signal, byte[] Body)> _bodies = new();

    private OtlpReceiver(WebApplication app) => _app = app;

    public string Endpoint => _app.Urls.Single();

    public IEnumerable<byte[]> Bodies(string signal) => _bodies.Where(b => b.Signal == signal).Select(b => b.Body);

    public IEnumerable<byte[]> AllBodies => _bodies.Select(b => b.Body);

    public static async Task<OtlpReceiver> StartAsync()
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.WebHost.UseUrls("http://127.0.0.1:0");
        builder.Logging.ClearProviders();
        var app = builder.Build();
        var receiver = new OtlpReceiver(app);
        app.MapPost("/v1/{signal}", async (string signal, HttpRequest request) =>
        {
            using var body = new MemoryStream();
            await request.Body.CopyToAsync(body);
            receiver._bodies.Enqueue((signal, body.ToArray()));
            return Results.Bytes([], "application/x-protobuf");
        });
        await app.StartAsync();
        return receiver;
    }

    /// <summary>Every span received: ExportTraceServiceRequest → ResourceSpans (1) → ScopeSpans (2) → Span (2).</summary>
    public IReadOnlyList<OtlpSpan> Spans() =>
        [.. from body in Bodies("traces")
            from resource in Messages(body, 1)
            from scope in Messages(resource, 2)
            from span in Messages(scope, 2)
            select ReadSpan(span)];

    /// <summary>The names of every metric received: ExportMetricsServiceRequest → ResourceMetrics (1) → ScopeMetrics (2) → Metric (2) → name (1).</summary>
    public IReadOnlySet<string> MetricNames() =>
        (from body in Bodies("metrics")
         from resource in Messages(body, 1)
         from scope in Messages(resource, 2)
         from metric in Messages(scope, 2)
         from name in Messages(metric, 1)
         select name.ToStringUtf8()).ToHashSet();

    public async ValueTask DisposeAsync() => await _app.DisposeAsync();

    /// <summary>Span: trace_id 1, span_id 2, parent_span_id 4, name 5, attributes 9 (KeyValue: key 1, AnyValue 2).</summary>
    private static OtlpSpan ReadSpan(ByteString span)
    {
        var attributes = new Dictionary<string, string>();
        foreach (var pair in Messages(span, 9))
        {
            var key = Messages(pair, 1).Single().ToStringUtf8();
            attributes[key] = Value(Messages(pair, 2).Single());
        }

        return new OtlpSpan(
            Hex(Messages(span, 1).Single()),
            Hex(Messages(span, 2).Single()),
            Messages(span, 4).Select(Hex).SingleOrDefault(p => p.Length > 0),
            Messages(span, 5).Single().ToStringUtf8(),
            attributes);
    }

    /// <summary>AnyValue: string_value 1, bool_value 2 (varint), int_value 3 (varint); other kinds are not used here.</summary>
    private static string Value(ByteString any)
    {
        var input = any.CreateCodedInput();
        var tag = input.ReadTag();
        return WireFormat.GetTagFieldNumber(tag) switch
        {
            1 => input.ReadString(),
            2 => input.ReadBool().ToString(),
            3 => input.ReadInt64().ToString(System.Globalization.CultureInfo.InvariantCulture),
            _ => "",
        };
    }

    /// <summary>The length-delimited fields numbered <paramref name="field"/> of a message, skipping every other field.</summary>
    private static List<ByteString> Messages(ByteString message, int field) => Messages(message.ToByteArray(), field);

    private static List<ByteString> Messages(byte[] message, int field)
    {
        var found = new List<ByteString>();
        var input = new CodedInputStream(message);
        for (var tag = input.ReadTag(); tag != 0; tag = input.ReadTag())
        {
            if (WireFormat.GetTagFieldNumber(tag) == field && WireFormat.GetTagWireType(tag) == WireFormat.WireType.LengthDelimited)
            {
                found.Add(input.ReadBytes());
            }
            else
            {
                input.SkipLastField();
            }
        }

        return found;
    }

    private static string Hex(ByteString bytes) => Convert.ToHexStringLower(bytes.Span);
}

/// <summary>A span as an OTLP receiver got it: ids in lowercase hex, parent null for a root.</summary>
internal sealed record OtlpSpan(string TraceId, string SpanId, string? ParentSpanId, string Name, IReadOnlyDictionary<string, string> Attributes);
