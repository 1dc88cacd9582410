using System.Security.Cryptography;
using System.Text;
using Microsoft.Extensions.Options;
using VaceFunctions.Orchestrations.DashScope;

namespace VaceFunctions.DashScopeSimulator;

/// <summary>
/// The simulator's account: its tasks, limits, injected faults and counters. Thread-safe; one lock guards all
/// of it, which is plenty for a test double. With <see cref="SimulatorOptions.StateFile"/> the account outlives the
/// process, as the real service's does: tasks, counters, the URL signing key and the address are read back on start
/// and written whenever a task is created or canceled. Faults are not kept: a restart starts from the configured ones.
/// </summary>
public sealed class SimulatorState
{
    private readonly Lock _gate = new();
    private readonly TimeProvider _time;
    private readonly byte[] _signingKey;
    private readonly Dictionary<string, SimulatedTask> _tasks = [];
    private readonly Queue<DateTimeOffset> _recentSubmissions = new();
    private SimulatorFaults _faults;
    private SimulatorCounters _counters = new();
    private int _taskSequence;
    private string? _address;

    public SimulatorState(IOptions<SimulatorOptions> options, TimeProvider time)
    {
        ArgumentNullException.ThrowIfNull(options);
        Options = options.Value;
        _time = time;
        _faults = Options.Faults;
        var saved = Options.StateFile is { Length: > 0 } file ? SimulatorStateFile.Read(file) : null;
        _signingKey = saved is null ? RandomNumberGenerator.GetBytes(32) : Convert.FromBase64String(saved.SigningKey);
        if (saved is not null)
        {
            _address = saved.Address;
            _taskSequence = saved.TaskSequence;
            _counters = saved.Counters;
            foreach (var task in saved.Tasks)
            {
                _tasks[task.Id] = task;
            }
        }
    }

    public SimulatorOptions Options { get; }

    public DateTimeOffset Now => _time.GetUtcNow();

    /// <summary>
    /// Where a simulator with a state file last listened (kept in the file): it listens there again after a restart,
    /// so the video and media URLs it handed out, and the base URL its clients were given, still lead to it.
    /// </summary>
    public string? Address
    {
        get { lock (_gate) { return _address; } }
        internal set
        {
            lock (_gate)
            {
                _address = value;
                Save();
            }
        }
    }

    /// <summary>The faults now in force; setting them replaces all of them.</summary>
    public SimulatorFaults Faults
    {
        get { lock (_gate) { return _faults; } }
        set { lock (_gate) { _faults = value; } }
    }

    public SimulatorCounters Counters()
    {
        lock (_gate)
        {
            return _counters with
            {
                TasksByBody = new Dictionary<string, int>(_counters.TasksByBody),
                PollsByTask = new Dictionary<string, int>(_counters.PollsByTask),
            };
        }
    }

    /// <summary>Forgets every task and count, and restores the configured faults.</summary>
    public void Reset()
    {
        lock (_gate)
        {
            _tasks.Clear();
            _recentSubmissions.Clear();
            _faults = Options.Faults;
            _counters = new SimulatorCounters();
            _taskSequence = 0;
            Save();
        }
    }

    /// <summary>Counts an API call and takes the next injected API fault, if any is left.</summary>
    internal ApiFault TakeApiFault()
    {
        lock (_gate)
        {
            _counters = _counters with { ApiRequests = _counters.ApiRequests + 1 };
            var fault = _faults switch
            {
                { DroppedConnections: > 0 } => ApiFault.DropConnection,
                { GatewayErrors: > 0 } => ApiFault.GatewayError,
                { ServerErrors: > 0 } => ApiFault.ServerError,
                { Throttles: > 0 } => ApiFault.Throttle,
                _ => ApiFault.None,
            };
            _faults = fault switch
            {
                ApiFault.DropConnection => _faults with { DroppedConnections = _faults.DroppedConnections - 1 },
                ApiFault.GatewayError => _faults with { GatewayErrors = _faults.GatewayErrors - 1 },
                ApiFault.ServerError => _faults with { ServerErrors = _faults.ServerErrors - 1 },
                ApiFault.Throttle => _faults with { Throttles = _faults.Throttles - 1 },
                _ => _faults,
            };
            if (fault != ApiFault.None)
            {
                _counters = _counters with { FaultsInjected = _counters.FaultsInjected + 1 };
            }

            return fault;
        }
    }

    internal void CountSubmission()
    {
        lock (_gate)
        {
            _counters = _counters with { Submissions = _counters.Submissions + 1 };
        }
    }

    internal void CountRejected()
    {
        lock (_gate)
        {
            _counters = _counters with { Rejected = _counters.Rejected + 1 };
        }
    }

    internal void CountVideoRequest()
    {
        lock (_gate)
        {
            _counters = _counters with { VideoRequests = _counters.VideoRequests + 1 };
        }
    }

    /// <summary>
    /// Creates a task for a valid request, unless the account's rate or concurrency limit refuses it. Returns
    /// the task, or the throttling code and message.
    /// </summary>
    internal SubmitOutcome Submit(string bodyFingerprint)
    {
        lock (_gate)
        {
            var now = Now;
            while (_recentSubmissions.TryPeek(out var oldest) && now - oldest >= TimeSpan.FromSeconds(1))
            {
                _recentSubmissions.Dequeue();
            }

            if (Options.SubmissionsPerSecond > 0 && _recentSubmissions.Count >= Options.SubmissionsPerSecond)
            {
                return Throttled(DashScopeErrorCodes.ThrottlingRateQuota, "Requests rate limit exceeded, please try again later.");
            }

            var active = _tasks.Values.Count(t => t.StatusAt(now, Options) is DashScopeTaskStatus.Pending or DashScopeTaskStatus.Running);
            if (Options.MaxConcurrentTasks > 0 && active >= Options.MaxConcurrentTasks)
            {
                return Throttled(DashScopeErrorCodes.Throttling,
                    $"Requests throttling triggered: at most {Options.MaxConcurrentTasks} tasks may run at once.");
            }

            _recentSubmissions.Enqueue(now);
            _taskSequence++;
            var fails = _faults.FailTasksWithCode is not null && _taskSequence % Math.Max(1, _faults.FailEveryNthTask) == 0;
            var task = new SimulatedTask(Guid.NewGuid().ToString(), now, fails ? _faults.FailTasksWithCode : null, _faults.StuckInRunning);
            _tasks[task.Id] = task;

            var dropAnswer = _faults.DropAfterCreate > 0;
            if (dropAnswer)
            {
                _faults = _faults with { DropAfterCreate = _faults.DropAfterCreate - 1 };
            }

            var byBody = new Dictionary<string, int>(_counters.TasksByBody);
            byBody[bodyFingerprint] = byBody.GetValueOrDefault(bodyFingerprint) + 1;
            _counters = _counters with
            {
                TasksCreated = _counters.TasksCreated + 1,
                TasksByBody = byBody,
                ConcurrentPeak = Math.Max(_counters.ConcurrentPeak, active + 1),
                FaultsInjected = _counters.FaultsInjected + (dropAnswer ? 1 : 0),
            };
            Save();
            return new SubmitOutcome(task, null, null, dropAnswer);
        }
    }

    /// <summary>A task's state now, or null when the id was never issued. Counts the poll.</summary>
    internal TaskView? Poll(string taskId)
    {
        lock (_gate)
        {
            var byTask = new Dictionary<string, int>(_counters.PollsByTask);
            byTask[taskId] = byTask.GetValueOrDefault(taskId) + 1;
            _counters = _counters with { Polls = _counters.Polls + 1, PollsByTask = byTask };
            return View(taskId);
        }
    }

    /// <summary>A task's state now without counting a poll (for video downloads).</summary>
    internal TaskView? Peek(string taskId)
    {
        lock (_gate)
        {
            return View(taskId);
        }
    }

    /// <summary>Cancels a PENDING task; false when there is no such task or it is past PENDING.</summary>
    internal bool Cancel(string taskId)
    {
        lock (_gate)
        {
            _counters = _counters with { Cancels = _counters.Cancels + 1 };
            if (!_tasks.TryGetValue(taskId, out var task) || task.StatusAt(Now, Options) != DashScopeTaskStatus.Pending)
            {
                return false;
            }

            task.CanceledAt = Now;
            Save();
            return true;
        }
    }

    /// <summary>The signature of a video URL: it binds the task id and the expiry, as a signed storage URL does.</summary>
    internal string Sign(string taskId, long expiresUnixSeconds) =>
        Convert.ToHexStringLower(HMACSHA256.HashData(_signingKey, Encoding.UTF8.GetBytes($"{taskId}\n{expiresUnixSeconds}")));

    /// <summary>
    /// Writes the account to the state file, if there is one; called under the lock. Tasks past their lifetime are
    /// dropped first: the service answers UNKNOWN for them as for an id it never issued, so the file stays small.
    /// </summary>
    private void Save()
    {
        if (Options.StateFile is not { Length: > 0 } file)
        {
            return;
        }

        var now = Now;
        foreach (var expired in _tasks.Values.Where(t => t.StatusAt(now, Options) == DashScopeTaskStatus.Unknown).Select(t => t.Id).ToList())
        {
            _tasks.Remove(expired);
        }

        SimulatorStateFile.Write(file, new SimulatorSnapshot(_address, Convert.ToBase64String(_signingKey), _taskSequence, [.. _tasks.Values], _counters));
    }

    private TaskView? View(string taskId)
    {
        if (!_tasks.TryGetValue(taskId, out var task))
        {
            return null;
        }

        var status = task.StatusAt(Now, Options);
        return new TaskView(
            task.Id,
            status,
            task.SubmittedAt,
            status is DashScopeTaskStatus.Pending or DashScopeTaskStatus.Unknown || task.CanceledAt is not null ? null : task.ScheduledAt(Options),
            status.IsTerminal() ? task.EndsAt(Options) : null,
            status == DashScopeTaskStatus.Failed ? task.FailCode : null);
    }

    private SubmitOutcome Throttled(string code, string message)
    {
        _counters = _counters with { Throttled = _counters.Throttled + 1 };
        return new SubmitOutcome(null, code, message, false);
    }
}

internal enum ApiFault
{
    None,
    DropConnection,
    GatewayError,
    ServerError,
    Throttle,
}

internal sealed record SubmitOutcome(SimulatedTask? Task, string? ThrottleCode, string? ThrottleMessage, bool DropAnswer);

internal sealed record TaskView(
    string TaskId,
    DashScopeTaskStatus Status,
    DateTimeOffset SubmitTime,
    DateTimeOffset? ScheduledTime,
    DateTimeOffset? EndTime,
    string? FailCode);
