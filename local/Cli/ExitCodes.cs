namespace VaceFunctions.Local.Cli;

/// <summary>
/// The exit codes of every <c>vace</c> command: 0 done (a job succeeded, or runs on), 1 a job or document failed
/// (failed, canceled, timed out, rejected, refused by the host), 2 a usage error (a bad flag or value, an unreadable
/// file, an unknown sample or job, a host that cannot be reached or refuses the key).
/// </summary>
public static class ExitCodes
{
    public const int Ok = 0;

    public const int Failed = 1;

    public const int Usage = 2;
}
