"""Reading uploaded spreadsheets (CSV, XLSX) for the logistics imports."""
