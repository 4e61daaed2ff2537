-- A fee paid in a third asset (BNB) valued in the symbol's quote asset at the fill, as the bot
-- journalled it, so the realised P&L it enters is reproducible. NULL: base/quote fee, or no
-- price was available.
ALTER TABLE fills ADD COLUMN commission_quote NUMERIC;
