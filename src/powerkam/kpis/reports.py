def monthly_report_job(day):
    return {}
