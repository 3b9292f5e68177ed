module github.com/parkdesk/parkdesk/services/gateway

go 1.26
