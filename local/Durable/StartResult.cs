namespace VaceFunctions.Local.Durable;

/// <summary>The instance a start call refers to, and whether this call created it.</summary>
public sealed record StartResult(string InstanceId, bool Created, OrchestrationRuntimeStatus RuntimeStatus);
