using Accountability.Intake;
using Accountability.Intake.Features.Open311;
using Accountability.ServiceDefaults;

var builder = AccountabilityWebApplication.CreateBuilder(args);
builder.AddServiceDefaults("intake");
builder.AddIntake();

var app = builder.Build();
app.UseOpen311ErrorFormat(); // outermost, so even the defaults' errors keep the spec's format under /open311
app.UseServiceDefaults();
app.MapIntakeEndpoints();

app.Run();
