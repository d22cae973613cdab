using ClinicPortal.Features.Clinics;
using ClinicPortal.Features.Procedures;
using ClinicPortal.Features.Providers;
using ClinicPortal.Tests.Support;
using Microsoft.Extensions.DependencyInjection;
using NodaTime;

namespace ClinicPortal.Tests.Providers;

[Collection(PortalCollection.Name)]
public sealed class ProviderAndProcedureTests(ClinicPortalFactory portal)
{
    private ProviderStore Providers => portal.Services.GetRequiredService<ProviderStore>();
    private ProcedureStore Procedures => portal.Services.GetRequiredService<ProcedureStore>();

    [Fact]
    public async Task New_weekly_hours_change_what_the_voice_agent_offers_and_are_audited()
    {
        var clinic = await portal.CreateClinicAsync();
        var drA = (await Providers.ListAsync(clinic.Id)).Single(p => p.Slug == "dr-a");
        var monday = Dates.Upcoming(DayOfWeek.Monday);

        Assert.Null(await Providers.SaveHoursAsync(clinic.Id, drA.Id, [new WorkingDay(1, new TimeOnly(14, 0), new TimeOnly(15, 0))], "staff:manager@example.com"));
        Assert.NotNull(await Providers.SaveHoursAsync(clinic.Id, drA.Id, [new WorkingDay(1, new TimeOnly(15, 0), new TimeOnly(14, 0))], "staff:manager@example.com"));

        var slots = await clinic.CallToolAsync("check_availability", new { date = monday, provider = "dr-a" });
        var starts = slots.GetProperty("slots").EnumerateArray().Select(s => s.GetProperty("starts_at").GetString()![11..16]).ToList();
        Assert.Equal(["14:00", "14:15", "14:30"], starts);
        Assert.Equal(1, await clinic.CountAsync("audit_log", "action = 'provider.hours_changed'"));
    }

    [Fact]
    public async Task Time_off_makes_bookings_invalid_and_names_the_appointments_already_inside_it()
    {
        var clinic = await portal.CreateClinicAsync();
        var drA = (await Providers.ListAsync(clinic.Id)).Single(p => p.Slug == "dr-a");
        var monday = Dates.Upcoming(DayOfWeek.Monday);
        await clinic.BookAsync("dr-a", monday, "10:00");
        var day = LocalDate.FromDateTime(DateTime.Parse(monday));

        var (refused, affected) = await Providers.AddTimeOffAsync(clinic.Id, drA.Id, day.At(new LocalTime(9, 0)), day.At(new LocalTime(12, 0)), "conference",
            "Europe/London", "staff:manager@example.com");

        Assert.Null(refused);
        Assert.Equal(1, affected);
        var r = await clinic.BookAsync("dr-a", monday, "11:00", phone: "+447700100002");
        Assert.Equal("invalid", r.GetProperty("status").GetString());
        Assert.Contains("away", r.GetProperty("reason").GetString());
        Assert.Equal("booked", (await clinic.BookAsync("dr-a", monday, "12:00", phone: "+447700100003")).GetProperty("status").GetString());
        Assert.Equal(1, await clinic.CountAsync("audit_log", "action = 'provider.time_off_added'"));
    }

    [Fact]
    public async Task A_new_procedure_is_found_by_the_agent_and_bad_ones_are_refused_with_a_reason()
    {
        var clinic = await portal.CreateClinicAsync();
        var hydrafacial = new ProcedureEdit { Name = "Hydrafacial", Synonyms = "hydra facial, deep cleanse", DurationMinutes = 50, PriceRange = "£150-£190" };

        Assert.Null(await Procedures.SaveAsync(clinic.Id, hydrafacial, "staff:manager@example.com"));
        Assert.Contains("already has", await Procedures.SaveAsync(clinic.Id, new ProcedureEdit { Name = "Hydrafacial" }, "staff:manager@example.com"));
        Assert.Contains("between 5 and 720", await Procedures.SaveAsync(clinic.Id, new ProcedureEdit { Name = "Blink", DurationMinutes = 1 }, "staff:manager@example.com"));

        var found = await clinic.CallToolAsync("lookup_procedure", new { query = "deep cleanse" });
        Assert.Equal("£150-£190", found.GetProperty("procedure").GetProperty("price_range").GetString());

        hydrafacial.Active = false;
        Assert.Null(await Procedures.SaveAsync(clinic.Id, hydrafacial, "staff:manager@example.com"));
        Assert.Equal("not_found", (await clinic.CallToolAsync("lookup_procedure", new { query = "hydrafacial" })).GetProperty("status").GetString());
        Assert.Equal(1, await clinic.CountAsync("audit_log", "action = 'procedure.created'"));
        Assert.Equal(1, await clinic.CountAsync("audit_log", "action = 'procedure.changed'"));
    }
}
