using System.Text.Json;
using System.Text.Json.Serialization;

namespace VaceFunctions.DashScopeSimulator;

/// <summary>
/// The file a persistent simulator keeps its account in (<see cref="SimulatorOptions.StateFile"/>): replaced whole
/// through a rename, so a simulator killed at any moment leaves the last complete state behind, never half of one.
/// </summary>
internal static class SimulatorStateFile
{
    public static SimulatorSnapshot? Read(string path)
    {
        if (!File.Exists(path))
        {
            return null;
        }

        try
        {
            return JsonSerializer.Deserialize(File.ReadAllBytes(path), SimulatorStateJsonContext.Default.SimulatorSnapshot);
        }
        catch (JsonException ex)
        {
            throw new InvalidOperationException($"The simulator's state in {path} cannot be read ({ex.Message}); delete the file to start with no tasks.", ex);
        }
    }

    public static void Write(string path, SimulatorSnapshot snapshot)
    {
        var full = Path.GetFullPath(path);
        Directory.CreateDirectory(Path.GetDirectoryName(full)!);
        var temporary = full + ".tmp";
        File.WriteAllBytes(temporary, JsonSerializer.SerializeToUtf8Bytes(snapshot, SimulatorStateJsonContext.Default.SimulatorSnapshot));
        File.Move(temporary, full, overwrite: true);
    }
}

/// <summary>
/// A simulator's account as kept on disk: where it listened, the key its video URLs are signed with (so URLs handed
/// out before a restart still verify), its tasks and its counters.
/// </summary>
internal sealed record SimulatorSnapshot(
    string? Address, string SigningKey, int TaskSequence, IReadOnlyList<SimulatedTask> Tasks, SimulatorCounters Counters);

[JsonSourceGenerationOptions(WriteIndented = true)]
[JsonSerializable(typeof(SimulatorSnapshot))]
internal sealed partial class SimulatorStateJsonContext : JsonSerializerContext;
