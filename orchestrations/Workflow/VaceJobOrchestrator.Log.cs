using Microsoft.Extensions.Logging;

namespace VaceFunctions.Orchestrations.Workflow;

public sealed partial class VaceJobOrchestrator
{
    private static partial class Log
    {
        [LoggerMessage(
            EventId = 5000, Level = LogLevel.Information, Message = "Job {JobId} submitted as task {TaskId}")]
        public static partial void Submitted(ILogger logger, string jobId, string taskId);

        [LoggerMessage(EventId = 5001, Level = LogLevel.Information, Message = "Job {JobId} succeeded: {Blob}")]
        public static partial void Succeeded(ILogger logger, string jobId, string blob);

        [LoggerMessage(EventId = 5002, Level = LogLevel.Warning, Message = "Job {JobId} failed: {ErrorCode}")]
        public static partial void Failed(ILogger logger, string jobId, string errorCode);

        [LoggerMessage(
            EventId = 5003,
            Level = LogLevel.Warning,
            Message = "Job {JobId} could not give back its task slot, which expires with its lease: {Error}")]
        public static partial void SlotNotReleased(ILogger logger, string jobId, string error);

        [LoggerMessage(
            EventId = 5004,
            Level = LogLevel.Warning,
            Message = "Job {JobId} could not ask DashScope to cancel task {TaskId}; it follows the task until it "
                + "ends: {Error}")]
        public static partial void TaskNotCanceled(ILogger logger, string jobId, string taskId, string error);
    }
}
