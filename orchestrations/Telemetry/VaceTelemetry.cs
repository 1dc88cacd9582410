using System.Diagnostics;
using System.Diagnostics.Metrics;
using VaceFunctions.Orchestrations.Admission;
using VaceFunctions.Orchestrations.Intake;

namespace VaceFunctions.Orchestrations.Telemetry;

/// <summary>
/// The workflow's OpenTelemetry instruments, one <see cref="ActivitySource"/> and one <see cref="Meter"/>, both named
/// <see cref="Name"/>: a span per intake and per activity step (the Durable Task SDK's own source,
/// <see cref="DurableTaskSource"/>, spans the orchestration and the scheduling of each activity around them), and the
/// job, admission, DashScope and copy metrics. Tags carry ids, names, codes and sizes only: no URL, key or signature.
/// </summary>
public sealed class VaceTelemetry : IDisposable
{
    /// <summary>The name of this project's activity source and meter.</summary>
    public const string Name = "VaceFunctions";

    /// <summary>The activity source of the Durable Task SDK: its client, orchestration and activity spans.</summary>
    public const string DurableTaskSource = "Microsoft.DurableTask";

    public const string JobIdTag = "vace.job.id";
    public const string FunctionTag = "vace.function";
    public const string TaskIdTag = "vace.task.id";
    public const string OutcomeTag = "vace.outcome";
    public const string SourceTag = "vace.intake.source";
    public const string IntakeStatusTag = "vace.intake.status";
    public const string OperationTag = "vace.dashscope.operation";
    public const string StatusCodeTag = "http.response.status_code";
    public const string ErrorTypeTag = "error.type";

    private readonly Meter _meter;
    private readonly Counter<long> _jobsStarted;
    private readonly Counter<long> _jobsFinished;
    private readonly Histogram<double> _jobDuration;
    private readonly Histogram<double> _slotWait;
    private readonly Histogram<double> _modelTime;
    private readonly Counter<long> _copyBytes;
    private readonly Histogram<double> _copyThroughput;
    private readonly Counter<long> _dashScopeCalls;
    private readonly Counter<long> _dashScopeRetries;
    private readonly SlotsInUseGauge _slotsInUse;

    /// <param name="meters">Creates the meter, so that it is disposed with the container.</param>
    /// <param name="services">
    /// Resolves <see cref="AdmissionSlots"/> for the slots gauge (<see cref="SlotsInUseGauge"/>): only the hosts that run
    /// the workflow have storage for them, and the HTTP client and intake record with this type too.
    /// </param>
    public VaceTelemetry(IMeterFactory meters, IServiceProvider services)
    {
        ArgumentNullException.ThrowIfNull(meters);
        _meter = meters.Create(Name);
        _jobsStarted = _meter.CreateCounter<long>("vace.jobs.started", "{job}", "Jobs whose orchestration intake started, by function and intake source.");
        _jobsFinished = _meter.CreateCounter<long>("vace.jobs.finished", "{job}", "Jobs that ended, by function and outcome (Succeeded, Failed, Canceled, TimedOut) and error code.");
        _jobDuration = _meter.CreateHistogram<double>("vace.job.duration", "s", "From the job's first step to the manifest that reports its outcome, by function and outcome.");
        _slotWait = _meter.CreateHistogram<double>("vace.slot.wait", "s", "Time a job waited for a task slot, by function.");
        _modelTime = _meter.CreateHistogram<double>("vace.model.duration", "s", "From the task's submission to the poll that saw it end (the Generating phase), by function and outcome.");
        _copyBytes = _meter.CreateCounter<long>("vace.copy.bytes", "By", "Bytes of result video copied into owned storage.");
        _copyThroughput = _meter.CreateHistogram<double>("vace.copy.throughput", "By/s", "Bytes per second of each output copy, download and upload together.");
        _dashScopeCalls = _meter.CreateCounter<long>("vace.dashscope.calls", "{call}", "HTTP attempts at DashScope, by operation and status code (429: throttled; none: no answer, with error.type).");
        _dashScopeRetries = _meter.CreateCounter<long>("vace.dashscope.retries", "{retry}", "DashScope attempts retried by the client's resilience pipeline, by operation and the failed attempt's status code.");
        _slotsInUse = new SlotsInUseGauge(services);
        _meter.CreateObservableGauge("vace.slots.in_use", _slotsInUse.Observe, "{slot}", "Task slots held across every host of the storage account, as read at the previous export.");
    }

    /// <summary>Spans of intake and of each step; listened to only when OpenTelemetry (or a test) subscribes.</summary>
    public ActivitySource Source { get; } = new(Name);

    /// <summary>
    /// Starts a step's span under the current one (the Durable Task SDK's activity span inside an activity), tagged with
    /// the job and task it works for when known; null when nobody listens.
    /// </summary>
    public Activity? StartStep(string name, string? jobId = null, string? taskId = null, ActivityKind kind = ActivityKind.Internal)
    {
        var activity = Source.StartActivity(name, kind);
        activity?.SetTag(JobIdTag, jobId);
        activity?.SetTag(TaskIdTag, taskId);
        return activity;
    }

    /// <summary>Starts the span of one document's intake, continuing <paramref name="parent"/> (the caller's trace) when given.</summary>
    public Activity? StartIntake(IntakeSource source, ActivityContext parent) =>
        Source.StartActivity("vace.intake", ActivityKind.Consumer, parent, [new(SourceTag, source.ToString())]);

    public void JobStarted(string function, IntakeSource source) =>
        _jobsStarted.Add(1, new(FunctionTag, function), new(SourceTag, source.ToString()));

    /// <summary>Records a job's end: its count, its end-to-end time and, when it had them, its wait for a slot and its model time.</summary>
    public void JobFinished(string function, string outcome, string? errorCode, TimeSpan total, TimeSpan? slotWait, TimeSpan? modelTime)
    {
        var tags = new TagList { { FunctionTag, function }, { OutcomeTag, outcome } };
        if (errorCode is not null)
        {
            tags.Add(ErrorTypeTag, errorCode);
        }

        _jobsFinished.Add(1, tags);
        _jobDuration.Record(total.TotalSeconds, new(FunctionTag, function), new(OutcomeTag, outcome));
        if (slotWait is { } wait)
        {
            _slotWait.Record(wait.TotalSeconds, new KeyValuePair<string, object?>(FunctionTag, function));
        }

        if (modelTime is { } model)
        {
            _modelTime.Record(model.TotalSeconds, new(FunctionTag, function), new(OutcomeTag, outcome));
        }
    }

    public void Copied(long bytes, TimeSpan elapsed)
    {
        _copyBytes.Add(bytes);
        if (elapsed > TimeSpan.Zero)
        {
            _copyThroughput.Record(bytes / elapsed.TotalSeconds);
        }
    }

    /// <summary>One HTTP attempt at DashScope: its status code, or none and the transport error.</summary>
    public void DashScopeCall(string operation, int? statusCode, string? errorType = null)
    {
        var tags = new TagList { { OperationTag, operation }, { StatusCodeTag, statusCode?.ToString(System.Globalization.CultureInfo.InvariantCulture) ?? "none" } };
        if (errorType is not null)
        {
            tags.Add(ErrorTypeTag, errorType);
        }

        _dashScopeCalls.Add(1, tags);
    }

    public void DashScopeRetry(string operation, int? statusCode) =>
        _dashScopeRetries.Add(1, new(OperationTag, operation), new(StatusCodeTag, statusCode?.ToString(System.Globalization.CultureInfo.InvariantCulture) ?? "none"));

    public void Dispose()
    {
        Source.Dispose();
        _meter.Dispose();
        _slotsInUse.Dispose();
    }
}
