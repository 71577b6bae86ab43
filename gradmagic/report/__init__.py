"""The report: plain, JSON-serialisable data (the contract in findings.md)."""

from gradmagic.report.model import Finding, Fix, FitRecord, Report, Severity, FitStatus, Safety

__all__ = ["Finding", "Fix", "FitRecord", "Report", "Severity", "FitStatus", "Safety"]
