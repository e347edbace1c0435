using System.Text;
using Proxy.Engine.Routing;

namespace Proxy.Engine.Tests.Http.Actions;

/// <summary>How a destination's and a route's operations fold into one edit (remove, set, add per level; destination
/// first), checked on the compiled form the data path writes.</summary>
public sealed class HeaderEditTests
{
    private static string[] Lines(HeaderEdit? edit) => edit is null ? [] : [.. edit.Lines.Select(l => Encoding.UTF8.GetString(l.Line).TrimEnd())];

    private static string[] Dropped(HeaderEdit? edit) => edit is null ? [] : [.. edit.Dropped.Select(Encoding.ASCII.GetString)];

    [Fact]
    public void Compile_RouteSetReplacesDestinationSetAndAdds()
    {
        var destination = new HeaderOperations(set: [new("X-A", "d")], add: [new("x-a", "d2"), new("x-b", "d")]);
        var route = new HeaderOperations(set: [new("x-a", "r")]);

        var edit = HeaderEdit.Compile(destination, route, request: true);

        Assert.Equal(["x-b: d", "x-a: r"], Lines(edit));
        Assert.Equal(["x-a"], Dropped(edit));
    }

    [Fact]
    public void Compile_RouteRemoveDropsWhatTheDestinationAdded()
    {
        var edit = HeaderEdit.Compile(new HeaderOperations(add: [new("x-a", "d")]), new HeaderOperations(remove: ["X-A"]), request: false);

        Assert.Empty(Lines(edit));
        Assert.Equal(["x-a"], Dropped(edit));
    }

    [Fact]
    public void Compile_SetThenAddWithinOneLevel_KeepsBoth()
    {
        var edit = HeaderEdit.Compile(null, new HeaderOperations(set: [new("x-a", "1")], add: [new("x-a", "2")]), request: true);

        Assert.Equal(["x-a: 1", "x-a: 2"], Lines(edit));
    }

    [Theory]
    [InlineData("host", true, true)]
    [InlineData("Content-Length", true, true)]
    [InlineData("transfer-encoding", false, true)]
    [InlineData("connection", false, true)]
    [InlineData("host", false, false)]
    [InlineData("expect", false, false)]
    [InlineData("x-forwarded-for", true, false)]
    public void Compile_ProtectedNames_AreIgnored(string name, bool request, bool ignored)
    {
        var edit = HeaderEdit.Compile(null, new HeaderOperations(set: [new(name, "v")], remove: [name]), request);

        Assert.Equal(ignored, edit is null);
    }

    [Fact]
    public void Compile_NothingToDo_IsNull()
    {
        Assert.Null(HeaderEdit.Compile(null, null, request: true));
        Assert.Null(HeaderEdit.Compile(new HeaderOperations(), new HeaderOperations(set: [new("x", "")]), request: false));
    }
}
