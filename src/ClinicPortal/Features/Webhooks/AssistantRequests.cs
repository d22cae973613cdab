using System.Globalization;
using System.Text;
using ClinicPortal.Features.Messages;
using ClinicPortal.Infrastructure.Database;
using ClinicPortal.Shared;
using NodaTime;

namespace ClinicPortal.Features.Webhooks;

/// <summary>
/// Vapi's assistant-request (an inbound call to a number with no assistant): {"assistantId"} when the clinic saved one in
/// Vapi, otherwise a transient assistant built from the clinic's data in one round trip: a first message naming the clinic,
/// a system prompt (time zone and today's date there, providers, procedures, opening hours, the rules), the five tools
/// pointed at this portal, and the server messages the portal uses. A clinic whose voice agent is off: {"error"}.
/// </summary>
public sealed class AssistantRequests(ClinicDb db, SmsTexts texts, IConfiguration config, IClock clock)
{
    public static readonly string[] ServerMessages =
        ["tool-calls", "status-update", "end-of-call-report", "transfer-destination-request", "transfer-update", "knowledge-base-request", "hang"];

    private const string Sql = """
        select name, time_zone, voice_enabled, vapi_assistant_id, vapi_credential_id, assistant_model, assistant_voice from clinics where id = @clinic;
        select name, coalesce(specialty, '') from providers where active order by name;
        select name, duration_minutes from procedures where active order by name;
        select p.name, h.weekday, h.starts_at, h.ends_at from working_hours h join providers p on p.clinic_id = h.clinic_id and p.id = h.provider_id
         where p.active order by p.name, h.weekday, h.starts_at;
        """;

    /// <summary>The answer's body: {"assistantId"}, {"assistant"} or {"error"}.</summary>
    public async Task<object> AnswerAsync(Guid clinic, CancellationToken ct)
    {
        await using var conn = await db.OpenAsync(ct); // a read: nothing to commit, no listener to wake
        await using var cmd = conn.ForClinic(clinic, Sql);
        await using var reader = await cmd.ReaderAsync(ct);
        var c = (await reader.RowsAsync(r => (Name: r.GetString(0), Zone: r.GetString(1), Enabled: r.GetBoolean(2), AssistantId: r.Value<string>(3),
            CredentialId: r.Value<string>(4), Model: r.Value<string>(5), Voice: r.Value<string>(6)), ct)).Single();
        var providers = await reader.RowsAsync(r => (Name: r.GetString(0), Specialty: r.GetString(1)), ct);
        var procedures = await reader.RowsAsync(r => (Name: r.GetString(0), Minutes: r.GetInt32(1)), ct);
        var hours = await reader.RowsAsync(r => (Provider: r.GetString(0), Day: (int)r.GetInt16(1), From: r.GetFieldValue<TimeOnly>(2), To: r.GetFieldValue<TimeOnly>(3)), ct);
        if (!c.Enabled) return new { error = $"Sorry, {c.Name}'s phone assistant is not taking calls right now. Please call back later." };
        if (c.AssistantId is { } saved) return new { assistantId = saved };

        var today = clock.GetCurrentInstant().InZone(ClinicTime.Zone(c.Zone)).Date;
        var prompt = new StringBuilder()
            .AppendLine($"You are the phone receptionist of {c.Name}, a private clinic. Callers book, move and cancel appointments and ask about treatments.")
            .AppendLine($"Time zone: {c.Zone}. Today is {today.ToString("dddd d MMMM yyyy", CultureInfo.InvariantCulture)} there; pass dates as YYYY-MM-DD and times as 24-hour HH:mm in that zone.")
            .AppendLine("Providers: " + (providers.Count == 0 ? "none yet." : string.Join("; ", providers.Select(p => p.Specialty.Length > 0 ? $"{p.Name} ({p.Specialty})" : p.Name)) + "."))
            .AppendLine("Procedures: " + (procedures.Count == 0 ? "consultations only." : string.Join("; ", procedures.Select(p => $"{p.Name} ({p.Minutes} min)")) + "."))
            .AppendLine("Opening hours: " + (hours.Count == 0 ? "ask the clinic." : string.Join("; ", hours.GroupBy(h => h.Provider)
                .Select(g => $"{g.Key}: " + string.Join(", ", g.Select(h => $"{(IsoDayOfWeek)h.Day} {h.From:HH\\:mm}-{h.To:HH\\:mm}")))) + "."))
            .AppendLine("Rules: never invent a price, a time or a fact: use lookup_procedure and check_availability, and say so when you do not know. " +
                        "Before booking, read back the date, the time and the caller's phone number and get a yes. " +
                        "When a time is taken, offer the alternatives the tool gives. Never read out anyone else's details.")
            .ToString();
        var server = new FunctionTool.ToolServer(texts.PublicBaseUrl + "/api/vapi/webhook", c.CredentialId);
        return new
        {
            assistant = new
            {
                name = $"{c.Name} receptionist",
                firstMessage = $"Hello, {c.Name}. How can I help you today?",
                model = new
                {
                    provider = config["Vapi:Model:Provider"] ?? "openai",
                    model = c.Model ?? config["Vapi:Model:Model"] ?? "gpt-4o",
                    messages = new[] { new { role = "system", content = prompt } },
                    tools = ToolDefinitions.All.Select(t => t with { Server = server }).ToArray(),
                },
                voice = new { provider = config["Vapi:Voice:Provider"] ?? "vapi", voiceId = c.Voice ?? config["Vapi:Voice:VoiceId"] ?? "Elliot" },
                serverMessages = ServerMessages,
                server = new { url = server.Url, credentialId = server.CredentialId },
            },
        };
    }
}
