namespace ClinicPortal.Features.Webhooks;

/// <summary>A Vapi function tool: its function (name, description, JSON-schema parameters) and, in an assistant, the server it calls.</summary>
public sealed record FunctionTool(string Type, FunctionTool.Definition Function, FunctionTool.ToolServer? Server = null)
{
    public sealed record Definition(string Name, string Description, object Parameters);

    /// <summary>Vapi's Server object: where the tool's calls go, and the Vapi credential (created in Vapi) that authenticates them.</summary>
    public sealed record ToolServer(string Url, string? CredentialId = null);
}

/// <summary>The function-tool definitions to paste into a Vapi assistant (GET /api/vapi/tools), and to build one (AssistantRequests).</summary>
public static class ToolDefinitions
{
    private static FunctionTool Tool(string name, string description, object properties, string[] required) =>
        new("function", new FunctionTool.Definition(name, description, new { type = "object", properties, required }));

    private static object Text(string description) => new { type = "string", description };

    public static readonly FunctionTool[] All =
    [
        Tool("check_availability", "Find up to five free appointment times on a date, in the clinic's local time.", new
        {
            date = new { type = "string", format = "date", description = "The day, YYYY-MM-DD." },
            provider = Text("Optional provider slug (e.g. dr-patel) or name."),
            procedure = Text("Optional procedure name, so the slot is long enough."),
            time_of_day = new { type = "string", @enum = new[] { "morning", "afternoon", "evening", "any" }, description = "Optional part of the day." },
        }, ["date"]),
        Tool("book_appointment", "Book an appointment. Answers booked (with a confirmation code), conflict (with alternatives) or invalid (with a reason).", new
        {
            provider = Text("Provider slug (e.g. dr-patel) or name."),
            date = new { type = "string", format = "date", description = "The day, YYYY-MM-DD." },
            time = Text("Clinic-local start time, HH:mm (24-hour)."),
            procedure = Text("Optional procedure name."),
            patient_name = Text("The caller's full name."),
            patient_phone = Text("The caller's phone number."),
            notes = Text("Optional notes from the caller."),
        }, ["provider", "date", "time", "patient_name", "patient_phone"]),
        Tool("cancel_appointment", "Cancel an appointment by its confirmation code and the patient's phone number.", new
        {
            confirmation_code = Text("The 8-character confirmation code."),
            patient_phone = Text("The phone number the appointment was booked with."),
        }, ["confirmation_code", "patient_phone"]),
        Tool("reschedule_appointment", "Move an appointment to a new date and time; on conflict it stays where it was and alternatives are offered.", new
        {
            confirmation_code = Text("The 8-character confirmation code."),
            patient_phone = Text("The phone number the appointment was booked with."),
            date = new { type = "string", format = "date", description = "The new day, YYYY-MM-DD." },
            time = Text("The new clinic-local start time, HH:mm."),
        }, ["confirmation_code", "patient_phone", "date", "time"]),
        Tool("lookup_procedure", "Facts about a procedure from this clinic's knowledge base: description, duration, recovery, price range. Answers not_found rather than guessing.", new
        {
            query = Text("What the caller asked about, e.g. 'liquid rhinoplasty' or 'nose filler'."),
        }, ["query"]),
    ];
}
