"""Writing a run folder: tables, figures, the phasing and assessment files (UTF-8 with BOM, GeoPackage, XLSX, PNG)."""
