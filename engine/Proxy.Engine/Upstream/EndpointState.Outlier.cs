namespace Proxy.Engine.Upstream;

/// <summary>What happened on an attempt that the upstream did not answer (Envoy's local-origin results).</summary>
internal enum LocalOriginResult : byte
{
    /// <summary>An attempt has its connection, new or reused (Envoy's onPoolReady; resets the local-origin failure run
    /// when errors are split).</summary>
    ConnectSuccess,

    /// <summary>The connection could not be made: refused, unreachable, TLS failure, connect timeout.</summary>
    ConnectFailed,

    /// <summary>The attempt timed out waiting for the response (per-try or route timeout).</summary>
    Timeout,

    /// <summary>The upstream closed or reset the connection, or sent an invalid response head, before a response.</summary>
    Reset,
}

// Outlier detection's per-endpoint side (Envoy's DetectorHostMonitorImpl): the consecutive-error runs, counted lock-free
// by the threads that forward requests, and the ejection bookkeeping the cluster's OutlierDetector keeps under its lock.
// Without outlier detection (no detector attached) every report returns at once.
internal sealed partial class EndpointState
{
    private OutlierDetector? _outlierDetector;
    private int _consecutive5xx;
    private int _consecutiveGatewayFailures;
    private int _consecutiveLocalOriginFailures;
    private volatile bool _ejected;

    /// <summary>Whether outlier detection has ejected the endpoint from load balancing right now.</summary>
    public bool IsEjected => _ejected;

    /// <summary>The current run of 5xx answers (with local-origin failures when unsplit).</summary>
    internal int Consecutive5xx => Volatile.Read(ref _consecutive5xx);

    /// <summary>The current run of 502/503/504 answers (with local-origin failures when unsplit).</summary>
    internal int ConsecutiveGatewayFailures => Volatile.Read(ref _consecutiveGatewayFailures);

    /// <summary>The current run of local-origin failures (counted only when split).</summary>
    internal int ConsecutiveLocalOriginFailures => Volatile.Read(ref _consecutiveLocalOriginFailures);

    /// <summary>How many times the endpoint has been ejected (Envoy <c>num_ejections</c>). Detector lock.</summary>
    internal int EjectionCount { get; private set; }

    /// <summary>The multiplier of the base ejection time (Envoy <c>ejectTimeBackoff</c>): up by one per ejection, down by one
    /// per review interval spent healthy. Detector lock.</summary>
    internal int EjectionTimeMultiplier { get; set; }

    /// <summary>When the endpoint was last ejected (a <see cref="TimeProvider"/> timestamp). Detector lock.</summary>
    internal long LastEjected { get; private set; }

    /// <summary>When the endpoint last returned from an ejection, or null if it never has. Detector lock.</summary>
    internal long? LastReturned { get; private set; }

    /// <summary>
    /// Records the status of a response head the upstream sent (external origin; Envoy's router calls
    /// <c>putHttpResponseCode</c> for every final response head, split or not). 1xx heads are not final and are ignored,
    /// as Envoy's router does not report them.
    /// </summary>
    public void ReportHttpStatus(int statusCode)
    {
        if (_outlierDetector is { } detector && statusCode >= 200)
        {
            PutHttpStatus(detector, statusCode);
        }
    }

    /// <summary>
    /// Records an attempt that ended without an upstream response, or a connection made. Unsplit, a failure counts as
    /// the status Envoy maps it to (<c>putResultNoLocalExternalSplit</c>: connect failure and reset 503, timeout 504) and a
    /// connection made counts as nothing (it is not a response, so it resets no run). Split, failures count only in the
    /// local-origin run and a connection made resets that run (<c>putResultWithLocalExternalSplit</c>).
    /// </summary>
    public void ReportLocalOrigin(LocalOriginResult result)
    {
        if (_outlierDetector is not { } detector)
        {
            return;
        }

        if (!detector.SplitExternalLocalOriginErrors)
        {
            switch (result)
            {
                case LocalOriginResult.ConnectFailed or LocalOriginResult.Reset:
                    PutHttpStatus(detector, 503);
                    break;
                case LocalOriginResult.Timeout:
                    PutHttpStatus(detector, 504);
                    break;
            }

            return;
        }

        if (result == LocalOriginResult.ConnectSuccess)
        {
            ResetRun(ref _consecutiveLocalOriginFailures);
        }
        else if (detector.ConsecutiveLocalOriginFailures > 0
            && Interlocked.Increment(ref _consecutiveLocalOriginFailures) == detector.ConsecutiveLocalOriginFailures)
        {
            detector.OnConsecutiveErrors(this, OutlierEjectionType.ConsecutiveLocalOriginFailure);
        }
    }

    internal void AttachOutlierDetector(OutlierDetector detector) => _outlierDetector = detector;

    /// <summary>Envoy <c>putHttpResponseCode</c>: a 5xx extends the 5xx run and, for 502/503/504, the gateway run (other
    /// 5xx end it); anything else ends both. A run that reaches its threshold (exactly, so it fires once per run) asks the
    /// detector to eject; a threshold of 0 never fires.</summary>
    private void PutHttpStatus(OutlierDetector detector, int statusCode)
    {
        if (statusCode is < 500 or > 599)
        {
            ResetRun(ref _consecutive5xx);
            ResetRun(ref _consecutiveGatewayFailures);
            return;
        }

        if (statusCode is 502 or 503 or 504)
        {
            if (detector.ConsecutiveGatewayErrors > 0
                && Interlocked.Increment(ref _consecutiveGatewayFailures) == detector.ConsecutiveGatewayErrors)
            {
                detector.OnConsecutiveErrors(this, OutlierEjectionType.ConsecutiveGatewayFailure);
            }
        }
        else
        {
            ResetRun(ref _consecutiveGatewayFailures);
        }

        if (detector.Consecutive5xxErrors > 0 && Interlocked.Increment(ref _consecutive5xx) == detector.Consecutive5xxErrors)
        {
            detector.OnConsecutiveErrors(this, OutlierEjectionType.Consecutive5xx);
        }
    }

    /// <summary>Ends a run; skips the write when it is already 0, so healthy traffic does not bounce the cache line.</summary>
    private static void ResetRun(ref int run)
    {
        if (Volatile.Read(ref run) != 0)
        {
            Volatile.Write(ref run, 0);
        }
    }

    internal void ResetRun(OutlierEjectionType type)
    {
        switch (type)
        {
            case OutlierEjectionType.Consecutive5xx:
                ResetRun(ref _consecutive5xx);
                break;
            case OutlierEjectionType.ConsecutiveGatewayFailure:
                ResetRun(ref _consecutiveGatewayFailures);
                break;
            default:
                ResetRun(ref _consecutiveLocalOriginFailures);
                break;
        }
    }

    /// <summary>Marks the endpoint ejected at <paramref name="now"/>. Detector lock.</summary>
    internal void Eject(long now)
    {
        _ejected = true;
        EjectionCount++;
        LastEjected = now;
    }

    /// <summary>Returns the endpoint to load balancing at <paramref name="now"/>, with every run reset so a few new errors
    /// on top of an old run do not eject it again (Envoy <c>unejectHost</c>). Detector lock.</summary>
    internal void Return(long now)
    {
        _ejected = false;
        ResetRun(ref _consecutive5xx);
        ResetRun(ref _consecutiveGatewayFailures);
        ResetRun(ref _consecutiveLocalOriginFailures);
        LastReturned = now;
    }
}
