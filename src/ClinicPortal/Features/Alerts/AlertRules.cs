namespace ClinicPortal.Features.Alerts;

/// <summary>
/// One rule as a clinic runs it: on or off, its threshold (in the rule's unit) and the window it looks back over.
/// </summary>
public sealed record AlertRule(string Rule, bool Enabled, decimal Threshold, int WindowMinutes)
{
    public AlertRuleKind Kind => AlertRules.Kind(Rule);
}

/// <summary>What a rule watches, its unit, whether it has a window, and its default (from the budgets, docs/operations.md).</summary>
public sealed record AlertRuleKind(string Rule, string Title, string Unit, bool HasWindow, decimal DefaultThreshold, int DefaultWindowMinutes,
    string Explanation);

/// <summary>The rules every clinic has (docs/operations.md, Alerts), by the names alert_rules and alerts store.</summary>
public static class AlertRules
{
    public const string WebhookP95 = "webhook_p95";
    public const string ToolFailures = "tool_failures";
    public const string TextFailures = "text_failures";
    public const string TextQueue = "text_queue";
    public const string AssistantSilent = "assistant_silent";
    public const string SealerLag = "sealer_lag";
    public const string Database = "database";

    public static readonly IReadOnlyList<AlertRuleKind> All =
    [
        new(WebhookP95, "Slow webhook", "ms", true, 500, 5,
            "The 95th percentile of webhook response times over the window is above the threshold: callers hear silence."),
        new(ToolFailures, "Failed tool calls", "%", true, 1, 5,
            "More than this share of the assistant's tool calls got an error instead of an answer over the window."),
        new(TextFailures, "Failed texts", "%", true, 5, 60,
            "More than this share of the texts that reached Twilio over the window failed or were not delivered."),
        new(TextQueue, "Texts not leaving", "minutes", false, 5, 5,
            "A text has waited in the outbox longer than the threshold without Twilio taking it."),
        new(AssistantSilent, "Assistant silent", "opening hours", false, 2, 120,
            "No tool call for this many hours of the clinic's opening hours (the providers' working hours): the assistant may have stopped calling."),
        new(SealerLag, "Audit sealing behind", "minutes", false, 5, 5,
            "An audit entry has waited longer than the threshold for its seal in the hash chain."),
        new(Database, "Database unreachable", "minutes", false, 1, 1,
            "The portal could not reach its database for longer than the threshold."),
    ];

    public static AlertRuleKind Kind(string rule) => All.FirstOrDefault(k => k.Rule == rule) ?? throw new ArgumentException($"no alert rule '{rule}'", nameof(rule));

    public static AlertRule Default(AlertRuleKind k) => new(k.Rule, true, k.DefaultThreshold, k.DefaultWindowMinutes);

    /// <summary>Every rule, the clinic's own where it changed one, the default otherwise.</summary>
    public static IReadOnlyList<AlertRule> Complete(IEnumerable<AlertRule> stored)
    {
        var byRule = stored.ToDictionary(r => r.Rule);
        return All.Select(k => byRule.TryGetValue(k.Rule, out var r) ? r : Default(k)).ToList();
    }

    /// <summary>Why a rule cannot be saved, or null.</summary>
    public static string? Problem(AlertRule r)
    {
        if (All.All(k => k.Rule != r.Rule)) return $"no alert rule '{r.Rule}'";
        var k = r.Kind;
        if (r.Threshold <= 0 || r.Threshold > 100_000) return $"{k.Title}: the threshold must be above 0 and at most 100000 {k.Unit}";
        if (k.Unit == "%" && r.Threshold > 100) return $"{k.Title}: the threshold is a percentage, at most 100";
        if (r.WindowMinutes is < 1 or > 1440) return $"{k.Title}: the window must be between 1 and 1440 minutes";
        return null;
    }
}
