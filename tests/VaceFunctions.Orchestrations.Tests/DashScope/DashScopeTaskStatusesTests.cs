using VaceFunctions.Orchestrations.DashScope;

namespace VaceFunctions.Orchestrations.Tests.DashScope;

public sealed class DashScopeTaskStatusesTests
{
    [Fact]
    public void Unrecognized_IsNotTerminal_AndIsNotTheServicesUnknown()
    {
        Assert.False(DashScopeTaskStatus.Unrecognized.IsTerminal());
        Assert.Equal("UNRECOGNIZED", DashScopeTaskStatus.Unrecognized.ToWire());
        Assert.Equal(DashScopeTaskStatus.Unknown, DashScopeTaskStatuses.Parse("UNKNOWN"));
        Assert.Equal(DashScopeTaskStatus.Unrecognized, DashScopeTaskStatuses.Parse(null));
    }
}
