using VaceFunctions.Orchestrations.DashScope;

namespace VaceFunctions.Orchestrations.Tests.DashScope;

public class VaceModelsTests
{
    [Theory]
    [InlineData("https://dashscope-intl.aliyuncs.com", DashScopeRegion.International)]
    [InlineData("https://DASHSCOPE-INTL.aliyuncs.com/api/v1", DashScopeRegion.International)]
    [InlineData("https://dashscope.aliyuncs.com/", DashScopeRegion.ChineseMainland)]
    [InlineData("http://127.0.0.1:5080", null)]
    public void RegionOfEndpoint_KnowsThePublicEndpoints(string url, DashScopeRegion? expected) =>
        Assert.Equal(expected, VaceModels.RegionOfEndpoint(new Uri(url)));

    [Fact]
    public void ForRegionAndRegionOf_AreInverse()
    {
        foreach (var region in Enum.GetValues<DashScopeRegion>())
        {
            Assert.Equal(region, VaceModels.RegionOf(VaceModels.ForRegion(region)));
        }

        Assert.Null(VaceModels.RegionOf("wan2.1-t2v-turbo"));
    }
}
