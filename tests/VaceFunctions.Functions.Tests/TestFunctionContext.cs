using System.Collections.Concurrent;
using Microsoft.Azure.Functions.Worker;

namespace VaceFunctions.Functions.Tests;

/// <summary>The invocation context a trigger receives; the triggers under test read only its cancellation token.</summary>
internal sealed class TestFunctionContext(IServiceProvider services) : FunctionContext
{
    public override string InvocationId { get; } = Guid.NewGuid().ToString();

    public override string FunctionId => "test";

    public override TraceContext TraceContext => throw new NotSupportedException();

    public override BindingContext BindingContext => throw new NotSupportedException();

    public override RetryContext RetryContext => throw new NotSupportedException();

    public override IServiceProvider InstanceServices { get; set; } = services;

    public override FunctionDefinition FunctionDefinition => throw new NotSupportedException();

    public override IDictionary<object, object> Items { get; set; } = new ConcurrentDictionary<object, object>();

    public override IInvocationFeatures Features => throw new NotSupportedException();

    public override CancellationToken CancellationToken { get; } = CancellationToken.None;
}
