using System.Security.Cryptography;
using System.Text;
using System.Text.RegularExpressions;
using VaceFunctions.Orchestrations.Output;

namespace VaceFunctions.Orchestrations.Tests.Output;

/// <summary>
/// The callback signature as a receiver checks it: the documented algorithm, accepted with the right secret within
/// the window, refused for a tampered body, a wrong secret, a time outside the window or a re-stamped header.
/// </summary>
public sealed class CallbackSignatureTests
{
    private const string Secret = "hook-secret";
    private const string Body = """{"jobId":"job-1","succeeded":true,"sha256":"abc"}""";

    private static readonly DateTimeOffset Sent = new(2026, 3, 18, 9, 38, 24, TimeSpan.Zero);

    private static readonly TimeSpan Window = CallbackSignature.DefaultWindow;

    [Fact]
    public void Create_IsTheTimestampAndTheHmacOfTimestampDotBody()
    {
        var header = CallbackSignature.Create(Secret, Sent, Body);

        // What a receiver in any language computes from docs/workflow.md's description (Callbacks).
        var t = Sent.ToUnixTimeSeconds();
        var expected = Convert.ToHexStringLower(HMACSHA256.HashData(Encoding.UTF8.GetBytes(Secret), Encoding.UTF8.GetBytes($"{t}.{Body}")));
        Assert.Equal($"t={t},v1={expected}", header);
        Assert.Matches(new Regex("^t=[0-9]+,v1=[0-9a-f]{64}$"), header);
    }

    [Theory]
    [InlineData(0)]
    [InlineData(299)]
    [InlineData(300)]
    [InlineData(-300)]
    public void Verify_RightSecretWithinTheWindow_Passes(int receivedSecondsLater)
    {
        var header = CallbackSignature.Create(Secret, Sent, Body);

        Assert.True(CallbackSignature.Verify(Secret, header, Body, Sent.AddSeconds(receivedSecondsLater), Window));
        Assert.True(CallbackSignature.Verify(Secret, header, Encoding.UTF8.GetBytes(Body), Sent.AddSeconds(receivedSecondsLater), Window));
    }

    [Fact]
    public void Verify_TamperedBody_Fails()
    {
        var header = CallbackSignature.Create(Secret, Sent, Body);

        Assert.False(CallbackSignature.Verify(Secret, header, Body.Replace("true", "false", StringComparison.Ordinal), Sent, Window));
        Assert.False(CallbackSignature.Verify(Secret, header, Body + " ", Sent, Window));
    }

    [Fact]
    public void Verify_WrongSecret_Fails()
    {
        var header = CallbackSignature.Create(Secret, Sent, Body);

        Assert.False(CallbackSignature.Verify("other-secret", header, Body, Sent, Window));
    }

    [Theory]
    [InlineData(301)]
    [InlineData(-301)]
    [InlineData(86_400)]
    public void Verify_TimestampOutsideTheWindow_Fails(int receivedSecondsLater)
    {
        var header = CallbackSignature.Create(Secret, Sent, Body);

        Assert.False(CallbackSignature.Verify(Secret, header, Body, Sent.AddSeconds(receivedSecondsLater), Window));
    }

    [Fact]
    public void Verify_OldSignatureRestampedWithTheCurrentTime_Fails()
    {
        // A replay that puts a fresh t on a captured signature: the signature covers t, so it no longer matches.
        var captured = CallbackSignature.Create(Secret, Sent, Body);
        var later = Sent.AddHours(1);
        var restamped = Regex.Replace(captured, "^t=[0-9]+", $"t={later.ToUnixTimeSeconds()}");

        Assert.False(CallbackSignature.Verify(Secret, restamped, Body, later, Window));
    }

    [Fact]
    public void Verify_OneOfSeveralSignatures_Passes()
    {
        var header = CallbackSignature.Create(Secret, Sent, Body);
        var withStale = header.Replace(",v1=", $",v1={new string('0', 64)},v1=", StringComparison.Ordinal);

        Assert.True(CallbackSignature.Verify(Secret, withStale, Body, Sent, Window));
    }

    [Theory]
    [InlineData(null)]
    [InlineData("")]
    [InlineData("sha256=0123")]
    [InlineData("t=abc,v1=00")]
    [InlineData("v1=0000000000000000000000000000000000000000000000000000000000000000")]
    [InlineData("t=1,t=2,v1=0000000000000000000000000000000000000000000000000000000000000000")]
    [InlineData("t=99999999999999999999,v1=0000000000000000000000000000000000000000000000000000000000000000")]
    [InlineData("t=-5,v1=0000000000000000000000000000000000000000000000000000000000000000")]
    [InlineData("garbage")]
    public void Verify_MalformedHeader_Fails(string? header)
    {
        Assert.False(CallbackSignature.Verify(Secret, header, Body, Sent, Window));
    }

    [Fact]
    public void Verify_HeaderWithoutASignature_Fails()
    {
        Assert.False(CallbackSignature.Verify(Secret, $"t={Sent.ToUnixTimeSeconds()}", Body, Sent, Window));
        Assert.False(CallbackSignature.Verify(Secret, new string('a', 10_000), Body, Sent, Window));
    }
}
