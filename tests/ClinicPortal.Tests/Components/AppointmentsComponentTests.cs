using Bunit;
using ClinicPortal.Features.Appointments;
using ClinicPortal.Tests.Support;

namespace ClinicPortal.Tests.Components;

[Collection(PortalCollection.Name)]
public sealed class AppointmentsComponentTests(ClinicPortalFactory portal)
{
    [Fact]
    public async Task The_grids_confirm_action_confirms_the_appointment_and_says_so()
    {
        var clinic = await portal.CreateClinicAsync();
        await clinic.BookAsync("dr-a", Dates.Upcoming(DayOfWeek.Monday), "10:00");
        await using var ctx = ComponentContext.For(portal, clinic);
        var cut = ctx.Render<AppointmentsPage>();
        cut.WaitForAssertion(() => Assert.Contains("Pat Test", cut.Find("[data-testid=appointments]").TextContent));

        cut.FindAll("[data-testid=appointments] button").First(b => b.TextContent.Trim() == "Confirm").Click();

        cut.WaitForAssertion(() => Assert.Contains("is now confirmed", cut.Find("[data-testid=outcome]").TextContent));
        Assert.Equal(1, await clinic.CountAsync("appointments", "status = 'confirmed'"));
        Assert.Equal(1, await clinic.CountAsync("audit_log", "action = 'appointment.confirmed' and actor = 'staff:tester@example.com'"));
    }

    [Fact]
    public async Task Reschedule_opens_the_panel_for_that_appointment()
    {
        var clinic = await portal.CreateClinicAsync();
        await clinic.BookAsync("dr-a", Dates.Upcoming(DayOfWeek.Monday), "10:00");
        await using var ctx = ComponentContext.For(portal, clinic);
        var cut = ctx.Render<AppointmentsPage>();
        cut.WaitForAssertion(() => Assert.Contains("Pat Test", cut.Find("[data-testid=appointments]").TextContent));

        cut.FindAll("button").First(b => b.TextContent.Trim() == "Reschedule").Click();

        cut.WaitForAssertion(() => Assert.Contains("Reschedule Pat Test", cut.Find("[data-testid=reschedule-panel]").TextContent));
    }
}
