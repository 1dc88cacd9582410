namespace VaceFunctions.Local.Durable;

/// <summary>The state of an orchestration instance, named as Durable Functions names them.</summary>
public enum OrchestrationRuntimeStatus
{
    Pending,
    Running,
    Completed,
    Failed,
    Terminated,
}
