using Accountability.Intake;
using Accountability.ServiceDefaults;

var builder = WebApplication.CreateBuilder(args);
builder.AddServiceDefaults("intake");
builder.AddIntake();

var app = builder.Build();
app.UseServiceDefaults();
app.MapIntakeEndpoints();

app.Run();
