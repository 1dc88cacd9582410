namespace VaceFunctions.Tests.Shared;

/// <summary>The loopback address in the spellings a job might use to disguise it, as URL formats ({0} is the port).</summary>
internal static class LoopbackSpellings
{
    public static readonly string[] Urls =
    [
        "http://127.0.0.1:{0}/x", "http://localhost:{0}/x", "http://localhost.:{0}/x", "http://127.1:{0}/x", "http://0x7f000001:{0}/x",
        "http://2130706433:{0}/x", "http://0177.0.0.1:{0}/x", "http://[::1]:{0}/x", "http://[::ffff:127.0.0.1]:{0}/x", "http://127.0.0.2:{0}/x",
        "http://0.0.0.0:{0}/x", "http://[::]:{0}/x",
    ];
}
