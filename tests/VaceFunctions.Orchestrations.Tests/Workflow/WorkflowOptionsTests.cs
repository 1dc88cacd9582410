using System.ComponentModel.DataAnnotations;
using VaceFunctions.Orchestrations.Workflow;

namespace VaceFunctions.Orchestrations.Tests.Workflow;

/// <summary>The output allow-list is checked when the host starts: never the workflow's own storage.</summary>
public sealed class WorkflowOptionsTests
{
    [Theory]
    [InlineData("vace-state")]
    [InlineData("vacehub-leases")]
    [InlineData("azure-webjobs-secrets")]
    [InlineData("Not_A_Container")]
    public void Validate_AllowListNamingTheWorkflowsOwnOrAnInvalidContainer_Fails(string container)
    {
        var options = new WorkflowOptions { AllowedOutputContainers = $"campaign-videos, {container}" };

        var results = new List<ValidationResult>();
        Assert.False(Validator.TryValidateObject(options, new ValidationContext(options), results, validateAllProperties: true));
        Assert.Contains(container, Assert.Single(results).ErrorMessage, StringComparison.Ordinal);
    }

    [Fact]
    public void Validate_OutputContainerAndAllowList_Pass()
    {
        var options = new WorkflowOptions { AllowedOutputContainers = "campaign-videos, archive" };

        Assert.True(Validator.TryValidateObject(options, new ValidationContext(options), [], validateAllProperties: true));
    }
}
