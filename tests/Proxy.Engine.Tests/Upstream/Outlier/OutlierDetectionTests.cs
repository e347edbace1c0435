using Microsoft.Extensions.Time.Testing;
using Proxy.Engine.Config;
using Proxy.Engine.Upstream;

namespace Proxy.Engine.Tests.Upstream.Outlier;

/// <summary>
/// The consecutive-error detectors, ejection and return, as Envoy's DetectorImpl / DetectorHostMonitorImpl
/// (source/common/upstream/outlier_detection_impl.cc), on real cluster states and a fake clock.
/// </summary>
public sealed class OutlierDetectionTests
{
    internal static readonly OutlierDetectionConfig AllowAll = new() { MaxEjectionPercent = 100 };

    internal static (ClusterState Cluster, FakeTimeProvider Time, ProxyStatistics Statistics) Create(
        OutlierDetectionConfig outlier, int endpoints = 4, LoadBalancingPolicy policy = LoadBalancingPolicy.RoundRobin)
    {
        var time = new FakeTimeProvider(DateTimeOffset.UnixEpoch);
        var statistics = new ProxyStatistics();
        var config = new ClusterConfig
        {
            Name = "c",
            LoadBalancing = policy,
            OutlierDetection = outlier,
            Endpoints = [.. Enumerable.Range(0, endpoints).Select(i => new EndpointConfig($"10.0.0.{i + 1}", 80))],
        };
        return (new ClusterState(config, time, statistics), time, statistics);
    }

    private static void Report(EndpointState endpoint, int status, int times)
    {
        for (var i = 0; i < times; i++)
        {
            endpoint.ReportHttpStatus(status);
        }
    }

    /// <summary>Advances the clock a second at a time, running the heartbeat as the server does.</summary>
    internal static void Heartbeats(ClusterState cluster, FakeTimeProvider time, int seconds)
    {
        for (var i = 0; i < seconds; i++)
        {
            time.Advance(TimeSpan.FromSeconds(1));
            cluster.Sweep(time.GetTimestamp());
        }
    }

    [Fact]
    public void Consecutive5xx_EjectsAtThreshold_ANon5xxAnswerStartsTheRunOver()
    {
        // Envoy putHttpResponseCode: any 5xx extends consecutive_5xx, any other status resets it; ++run == threshold
        // ejects at once (Istio consecutive5xxErrors, default 5).
        var (cluster, _, statistics) = Create(AllowAll);
        var endpoint = cluster.Endpoints[0];

        Report(endpoint, 500, 4);
        endpoint.ReportHttpStatus(404);
        Report(endpoint, 503, 4);
        Assert.False(endpoint.IsEjected);
        Assert.Equal(4, endpoint.Consecutive5xx);

        endpoint.ReportHttpStatus(599);

        Assert.True(endpoint.IsEjected);
        Assert.Equal(1, statistics.OutlierEjections);
        Assert.Equal(0, endpoint.Consecutive5xx); // the run that fired starts over
        Assert.Equal(1, cluster.OutlierDetector!.EjectedCount);
    }

    [Fact]
    public void InformationalHeads_AreNotCounted()
    {
        // Envoy's router reports only final heads (onUpstreamHeaders); 100 Continue does not end a 5xx run.
        var (cluster, _, _) = Create(AllowAll);
        var endpoint = cluster.Endpoints[0];

        Report(endpoint, 500, 4);
        endpoint.ReportHttpStatus(100);
        endpoint.ReportHttpStatus(500);

        Assert.True(endpoint.IsEjected);
    }

    [Fact]
    public void ConsecutiveGatewayErrors_Count502To504_OtherAnswersEndTheRun()
    {
        // isGatewayError: 502, 503, 504. Another 5xx resets the gateway run (and extends the 5xx run, disabled here).
        var (cluster, _, statistics) = Create(AllowAll with { Consecutive5xxErrors = 0, ConsecutiveGatewayErrors = 3 });
        var endpoint = cluster.Endpoints[0];

        endpoint.ReportHttpStatus(502);
        endpoint.ReportHttpStatus(503);
        endpoint.ReportHttpStatus(500);
        endpoint.ReportHttpStatus(504);
        endpoint.ReportHttpStatus(502);
        endpoint.ReportHttpStatus(200);
        endpoint.ReportHttpStatus(503);
        endpoint.ReportHttpStatus(504);
        Assert.False(endpoint.IsEjected);

        endpoint.ReportHttpStatus(502);

        Assert.True(endpoint.IsEjected);
        Assert.Equal(1, statistics.OutlierEjections);
    }

    [Fact]
    public void ThresholdZero_DisablesThatDetector()
    {
        // "0 disables this check": ++run never equals 0.
        var (cluster, _, statistics) = Create(AllowAll with { Consecutive5xxErrors = 0, ConsecutiveGatewayErrors = 0 });

        Report(cluster.Endpoints[0], 503, 100);
        for (var i = 0; i < 100; i++)
        {
            cluster.Endpoints[1].ReportLocalOrigin(LocalOriginResult.ConnectFailed);
        }

        Assert.False(cluster.Endpoints[0].IsEjected);
        Assert.False(cluster.Endpoints[1].IsEjected);
        Assert.Equal(0, statistics.OutlierEjections);
    }

    [Fact]
    public void BothRunsFireOnOneAnswer_OnlyOneEjection()
    {
        // Envoy handles the gateway event first and ejects; the 5xx event then finds the host ejected and does nothing
        // (its run is left as it is, to be reset when the host returns).
        var (cluster, time, statistics) = Create(AllowAll with { Consecutive5xxErrors = 3, ConsecutiveGatewayErrors = 3 });
        var endpoint = cluster.Endpoints[0];

        Report(endpoint, 503, 3);

        Assert.True(endpoint.IsEjected);
        Assert.Equal(1, statistics.OutlierEjections);
        Assert.Equal(0, endpoint.ConsecutiveGatewayFailures);
        Assert.Equal(3, endpoint.Consecutive5xx);

        Heartbeats(cluster, time, 30);

        Assert.False(endpoint.IsEjected);
        Assert.Equal(0, endpoint.Consecutive5xx); // unejectHost resets every run
    }

    [Fact]
    public void Unsplit_LocalOriginFailuresCountAs503And504_ConnectSuccessResetsNothing()
    {
        // putResultNoLocalExternalSplit: connect failure 503, timeout 504 (the router passes timeout_response_code_),
        // reset 503 (router onUpstreamReset reports LocalOriginConnectFailed); LocalOriginConnectSuccess maps to no code.
        var (cluster, _, _) = Create(AllowAll);
        var endpoint = cluster.Endpoints[0];

        endpoint.ReportLocalOrigin(LocalOriginResult.ConnectFailed);
        endpoint.ReportLocalOrigin(LocalOriginResult.ConnectSuccess);
        endpoint.ReportLocalOrigin(LocalOriginResult.Timeout);
        endpoint.ReportLocalOrigin(LocalOriginResult.ConnectSuccess);
        endpoint.ReportLocalOrigin(LocalOriginResult.Reset);
        endpoint.ReportHttpStatus(500);
        Assert.Equal(4, endpoint.Consecutive5xx);
        Assert.Equal(0, endpoint.ConsecutiveLocalOriginFailures); // counted only when split

        endpoint.ReportLocalOrigin(LocalOriginResult.ConnectFailed);

        Assert.True(endpoint.IsEjected);
    }

    [Fact]
    public void Unsplit_LocalOriginFailuresAreGatewayErrors()
    {
        var (cluster, _, _) = Create(AllowAll with { Consecutive5xxErrors = 0, ConsecutiveGatewayErrors = 2 });
        var endpoint = cluster.Endpoints[0];

        endpoint.ReportLocalOrigin(LocalOriginResult.Timeout);
        endpoint.ReportLocalOrigin(LocalOriginResult.Reset);

        Assert.True(endpoint.IsEjected);
    }

    [Fact]
    public void Split_LocalOriginFailuresHaveTheirOwnRun_ResetByConnectSuccess()
    {
        // putResultWithLocalExternalSplit: connect failure and timeout -> localOriginFailure; connect success ->
        // localOriginNoFailure (resets the run). Response codes still go to the 5xx/gateway runs (the router calls
        // putHttpResponseCode directly), and never touch the local-origin run.
        var (cluster, _, _) = Create(AllowAll with { SplitExternalLocalOriginErrors = true, ConsecutiveLocalOriginFailures = 3, Consecutive5xxErrors = 3 });
        var endpoint = cluster.Endpoints[0];

        endpoint.ReportLocalOrigin(LocalOriginResult.ConnectFailed);
        endpoint.ReportLocalOrigin(LocalOriginResult.Timeout);
        endpoint.ReportLocalOrigin(LocalOriginResult.ConnectSuccess);
        endpoint.ReportLocalOrigin(LocalOriginResult.Reset);
        endpoint.ReportLocalOrigin(LocalOriginResult.ConnectFailed);
        endpoint.ReportHttpStatus(200); // an answer does not end a local-origin run
        Assert.Equal(0, endpoint.Consecutive5xx);
        Assert.Equal(2, endpoint.ConsecutiveLocalOriginFailures);
        Report(endpoint, 500, 2);
        Assert.False(endpoint.IsEjected);

        endpoint.ReportLocalOrigin(LocalOriginResult.Timeout);

        Assert.True(endpoint.IsEjected);
        Assert.Equal(2, endpoint.Consecutive5xx);
    }

    [Fact]
    public void Split_5xxAnswersStillEjectThrough5xxRun()
    {
        var (cluster, _, _) = Create(AllowAll with { SplitExternalLocalOriginErrors = true, Consecutive5xxErrors = 2 });
        var endpoint = cluster.Endpoints[0];

        endpoint.ReportHttpStatus(500);
        endpoint.ReportLocalOrigin(LocalOriginResult.ConnectFailed); // not a 5xx when split
        endpoint.ReportLocalOrigin(LocalOriginResult.ConnectSuccess);
        Assert.False(endpoint.IsEjected);

        endpoint.ReportHttpStatus(500);

        Assert.True(endpoint.IsEjected);
    }

    [Fact]
    public void MaxEjectionPercent_BlocksTheEjectionThatWouldExceedIt_AndCountsAnOverflow()
    {
        // ejectHost: eject when 100 * (ejected + 1) / hosts <= max_ejection_percent, else ejections_overflow. With 4
        // endpoints and 50 %: 25 %, 50 % eject; 75 % overflows. The run that fired is reset either way.
        var (cluster, _, statistics) = Create(new OutlierDetectionConfig { MaxEjectionPercent = 50 });

        Report(cluster.Endpoints[0], 500, 5);
        Report(cluster.Endpoints[1], 500, 5);
        Report(cluster.Endpoints[2], 500, 5);

        Assert.True(cluster.Endpoints[0].IsEjected);
        Assert.True(cluster.Endpoints[1].IsEjected);
        Assert.False(cluster.Endpoints[2].IsEjected);
        Assert.Equal(2, statistics.OutlierEjections);
        Assert.Equal(1, statistics.OutlierEjectionOverflows);
        Assert.Equal(0, cluster.Endpoints[2].Consecutive5xx);

        Report(cluster.Endpoints[2], 500, 5);
        Assert.Equal(2, statistics.OutlierEjectionOverflows);
    }

    [Fact]
    public void MaxEjectionPercent_IstioDefault_NeverEjectsFromASmallCluster()
    {
        // Envoy ejects one host past the percentage only with always_eject_one_host (default false; Istio does not set
        // it): with Istio's default 10 % and two endpoints, 100 * 1 / 2 = 50 > 10, so nothing is ejected.
        var (cluster, _, statistics) = Create(new OutlierDetectionConfig(), endpoints: 2);

        Report(cluster.Endpoints[0], 500, 5);

        Assert.False(cluster.Endpoints[0].IsEjected);
        Assert.Equal(0, statistics.OutlierEjections);
        Assert.Equal(1, statistics.OutlierEjectionOverflows);
    }

    [Fact]
    public void EjectionTime_GrowsWithEachEjection_ReturnsAtTheFirstReviewAfterIt()
    {
        // Ejection time = base_ejection_time * ejectTimeBackoff (1 on the first ejection, +1 on each). The review runs
        // every interval (10 s) and returns the host when min(base * backoff, max) <= now - last ejection.
        var (cluster, time, _) = Create(AllowAll with { BaseEjectionTime = TimeSpan.FromSeconds(30), Interval = TimeSpan.FromSeconds(10) });
        var endpoint = cluster.Endpoints[0];

        Heartbeats(cluster, time, 5); // ejected 5 s into the first interval
        Report(endpoint, 500, 5);
        Assert.Equal(1, endpoint.EjectionTimeMultiplier);

        Heartbeats(cluster, time, 25); // 30 s after the ejection, but the review at t = 30 s sees 25 s
        Assert.True(endpoint.IsEjected);
        Heartbeats(cluster, time, 10); // review at 40 s: 35 s >= 30 s
        Assert.False(endpoint.IsEjected);

        // Ejected again at once: 60 s.
        Report(endpoint, 500, 5);
        Assert.Equal(2, endpoint.EjectionTimeMultiplier);
        Heartbeats(cluster, time, 50);
        Assert.True(endpoint.IsEjected);
        Heartbeats(cluster, time, 10);
        Assert.False(endpoint.IsEjected);
        Assert.Equal(2, endpoint.EjectionCount);
    }

    [Fact]
    public void EjectionTime_IsCappedByMaxEjectionTime()
    {
        // The backoff grows while backoff * base < max + base; the time is min(base * backoff, max).
        var (cluster, time, _) = Create(AllowAll with
        {
            BaseEjectionTime = TimeSpan.FromSeconds(30),
            MaxEjectionTime = TimeSpan.FromSeconds(60),
            Interval = TimeSpan.FromSeconds(1),
        });
        var endpoint = cluster.Endpoints[0];
        var detector = cluster.OutlierDetector!;

        for (var ejection = 1; ejection <= 4; ejection++)
        {
            Report(endpoint, 500, 5);
            Assert.True(endpoint.IsEjected);
            var expected = Math.Min(30 * ejection, 60);
            Assert.Equal(TimeSpan.FromSeconds(expected), detector.EjectionTime(endpoint.EjectionTimeMultiplier));
            Heartbeats(cluster, time, expected - 1);
            Assert.True(endpoint.IsEjected);
            Heartbeats(cluster, time, 1);
            Assert.False(endpoint.IsEjected);
        }

        Assert.Equal(3, endpoint.EjectionTimeMultiplier);
    }

    [Fact]
    public void EjectionTime_ABaseLongerThanTheMaximumIsTheCap()
    {
        // Envoy's default max_ejection_time is max(300 s, base_ejection_time).
        var (cluster, _, _) = Create(AllowAll with { BaseEjectionTime = TimeSpan.FromSeconds(400) });

        Assert.Equal(TimeSpan.FromSeconds(400), cluster.OutlierDetector!.EjectionTime(5));
    }

    [Fact]
    public void EjectionTime_DecreasesByOneIntervalSpentHealthy()
    {
        // onIntervalTimer: a host not ejected, unejected at least an interval ago, has its backoff lowered by one.
        var (cluster, time, _) = Create(AllowAll with { BaseEjectionTime = TimeSpan.FromSeconds(30), Interval = TimeSpan.FromSeconds(10) });
        var endpoint = cluster.Endpoints[0];

        Report(endpoint, 500, 5);
        Heartbeats(cluster, time, 30); // returned by the review at 30 s
        Assert.False(endpoint.IsEjected);
        Report(endpoint, 500, 5); // at once: backoff 2
        Heartbeats(cluster, time, 60);
        Assert.False(endpoint.IsEjected);
        Assert.Equal(2, endpoint.EjectionTimeMultiplier);

        Heartbeats(cluster, time, 10); // one interval healthy
        Assert.Equal(1, endpoint.EjectionTimeMultiplier);
        Heartbeats(cluster, time, 10);
        Assert.Equal(0, endpoint.EjectionTimeMultiplier);
        Heartbeats(cluster, time, 10);
        Assert.Equal(0, endpoint.EjectionTimeMultiplier);

        Report(endpoint, 500, 5);
        Assert.Equal(TimeSpan.FromSeconds(30), cluster.OutlierDetector!.EjectionTime(endpoint.EjectionTimeMultiplier));
    }

    [Fact]
    public void Review_RunsOncePerInterval()
    {
        // The interval timer: an ejection whose time is up in between waits for the next review.
        var (cluster, time, _) = Create(AllowAll with { BaseEjectionTime = TimeSpan.FromSeconds(1), Interval = TimeSpan.FromSeconds(10) });
        var endpoint = cluster.Endpoints[0];

        Heartbeats(cluster, time, 1);
        Report(endpoint, 500, 5);
        Heartbeats(cluster, time, 8);
        Assert.True(endpoint.IsEjected);
        Heartbeats(cluster, time, 1);
        Assert.False(endpoint.IsEjected);
    }
}
