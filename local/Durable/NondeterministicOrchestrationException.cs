namespace VaceFunctions.Local.Durable;

/// <summary>The orchestrator took a different path on replay than its history records.</summary>
public sealed class NondeterministicOrchestrationException(string message) : Exception(message);
